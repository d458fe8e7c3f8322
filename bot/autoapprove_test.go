package bot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// firstVersions keeps the first version of every request record created.
type firstVersions struct {
	store.Store
	mu    sync.Mutex
	first map[string]store.Record
}

func (s *firstVersions) Create(ctx context.Context, key string, value []byte, ttl time.Duration) (store.Record, error) {
	rec, err := s.Store.Create(ctx, key, value, ttl)
	if err == nil && strings.HasPrefix(key, "req:") {
		s.mu.Lock()
		s.first[strings.TrimPrefix(key, "req:")] = rec
		s.mu.Unlock()
	}
	return rec, err
}

// TestAnAutomaticApprovalIsInTheFirstVersion: a break-glass request, and
// one of an org that asks for no approval, is created approved (no save of
// its own for the approval) and runs to done; one that waits for an
// approver is created submitted.
func TestAnAutomaticApprovalIsInTheFirstVersion(t *testing.T) {
	for _, tc := range []struct {
		name       string
		breakGlass bool
		approval   bool
		want       State
	}{
		{"break glass", true, true, StateApproved},
		{"no approval required", false, false, StateApproved},
		{"approval required", false, true, StatePendingApproval},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.org.Policy.RequireApproval = tc.approval
			st := &firstVersions{Store: h.st, first: map[string]store.Record{}}
			svc := h.replica(st)
			sub := Submission{Requester: tech, OrgID: "acme", Account: "alice", Reason: "Verified by call-back"}
			var r *Request
			var err error
			if tc.breakGlass {
				r, err = svc.BreakGlass(context.Background(), sub)
			} else {
				r, err = svc.Submit(context.Background(), sub)
			}
			if err != nil {
				t.Fatal(err)
			}
			rec, ok := st.first[r.ID]
			if !ok || rec.Version != 1 {
				t.Fatalf("no first version of %s: %+v", r.ID, rec)
			}
			first, err := svc.repo.open(r.ID, rec)
			if err != nil {
				t.Fatal(err)
			}
			wantFirst := tc.want
			if tc.want == StatePendingApproval {
				wantFirst = StateSubmitted
			}
			if first.State != wantFirst || (wantFirst == StateApproved) == first.ApprovedAt.IsZero() {
				t.Fatalf("first version: %s approved at %v; want %s", first.State, first.ApprovedAt, wantFirst)
			}
			if want := map[State]State{StateApproved: StateDone}[tc.want]; want != "" && r.State != want {
				t.Fatalf("the request ended %s, want %s", r.State, want)
			}
			if tc.want == StatePendingApproval && r.State != StatePendingApproval {
				t.Fatalf("the request is %s, want %s", r.State, StatePendingApproval)
			}
		})
	}
}
