package bot

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
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
// one of an org that asks for no approval, is created approved and claimed
// by its executor, with its place under the daily limit taken (no save of
// its own for the approval or the claim, no reservation of its own) and
// runs to done; one that waits for an approver is created submitted.
func TestAnAutomaticApprovalIsInTheFirstVersion(t *testing.T) {
	for _, tc := range []struct {
		name       string
		breakGlass bool
		approval   bool
		want       State
	}{
		{"break glass", true, true, StateExecuting},
		{"no approval required", false, false, StateExecuting},
		{"approval required", false, true, StatePendingApproval},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.org.Policy.RequireApproval = tc.approval
			st := &firstVersions{Store: h.st, first: map[string]store.Record{}}
			svc := h.replica(st)
			var written int64 // the stored version when the write is done
			svc.afterEffect = func(step string) error {
				if rec, err := h.st.List(context.Background(), "req:"); err == nil && step == "write" && len(rec) == 1 {
					got, _ := h.st.Get(context.Background(), rec[0])
					written = got.Version
				}
				return nil
			}
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
			auto := wantFirst == StateExecuting
			if first.State != wantFirst || auto == first.ApprovedAt.IsZero() {
				t.Fatalf("first version: %s approved at %v; want %s", first.State, first.ApprovedAt, wantFirst)
			}
			if claimed := first.Attempts == 1 && !first.LeaseUntil.IsZero() && first.Steps.Reserved; claimed != auto {
				t.Fatalf("first version: attempts %d, lease until %v, reserved %t; claimed %t, want %t", first.Attempts, first.LeaseUntil, first.Steps.Reserved, claimed, auto)
			}
			if armed := first.Steps.WriteIntent && first.Steps.WriteUnlocks && first.Steps.WriteStamp != ""; armed != auto || auto && written != 1 {
				t.Fatalf("first version: write intent %t (stamp %q, unlocks %t), version at the write %d; want the intent in version 1: %t",
					first.Steps.WriteIntent, first.Steps.WriteStamp, first.Steps.WriteUnlocks, written, auto)
			}
			if want := map[State]State{StateExecuting: StateDone}[tc.want]; want != "" && r.State != want {
				t.Fatalf("the request ended %s, want %s", r.State, want)
			}
			if tc.want == StatePendingApproval && r.State != StatePendingApproval {
				t.Fatalf("the request is %s, want %s", r.State, StatePendingApproval)
			}
		})
	}
}

// TestAnAutomaticApprovalThatCannotStartGivesItsPlaceBack: the daily
// limit's place an automatic approval takes while its account is checked
// is given back when the request cannot be created (here the store will
// not keep the typed password): no request, nothing written, the day's
// count as it was.
func TestAnAutomaticApprovalThatCannotStartGivesItsPlaceBack(t *testing.T) {
	h, flaky, svc := flakyHarness(t)
	ctx := context.Background()
	flaky.fail["Create:pw:"] = errors.New("store down")
	_, err := svc.BreakGlass(ctx, Submission{Requester: tech, OrgID: "acme", Account: "bob", Reason: "Verified by call-back",
		Password: identity.NewSecret("Correct-Horse-Battery-9")})
	if KindOf(err) != KindUnavailable {
		t.Fatalf("break glass with the store refusing the password: %v", err)
	}
	if n, err := svc.resetsToday(ctx, h.org, "bob"); err != nil || n != 0 {
		t.Fatalf("%d of the day's resets taken after a request that never started (%v)", n, err)
	}
	if keys, _ := h.st.List(ctx, "req:"); len(keys) != 0 || h.dir.Calls.SetPassword+h.dir.Calls.Unlock != 0 {
		t.Fatalf("requests %v, %d directory writes", keys, h.dir.Calls.SetPassword+h.dir.Calls.Unlock)
	}
}

// TestABreakGlassKilledAfterItsWriteIsNotWrittenAgain: the write's intent
// a break-glass request is created with is what a worker taking over
// finds when the first one died right after the write: it asks the
// directory, records the write as recovered and writes nothing again.
func TestABreakGlassKilledAfterItsWriteIsNotWrittenAgain(t *testing.T) {
	h := newHarness(t, nil)
	h.svc.afterEffect = func(step string) error {
		if step == "write" {
			runtime.Goexit()
		}
		return nil
	}
	dying(func() {
		_, _ = h.svc.BreakGlass(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "alice", Reason: "Verified by call-back"})
	})
	keys, _ := h.st.List(context.Background(), "req:")
	if len(keys) != 1 || h.dir.Calls.SetPassword != 1 {
		t.Fatalf("after the crash: requests %v, %d password writes", keys, h.dir.Calls.SetPassword)
	}
	r := takeOver(t, h, strings.TrimPrefix(keys[0], "req:"))
	if h.dir.Calls.SetPassword != 1 || !slices.Contains(r.Steps.Recovered, "write") || !r.Steps.Unlocked {
		t.Fatalf("after the takeover: %d password writes, steps %+v", h.dir.Calls.SetPassword, r.Steps)
	}
}

// TestABreakGlassAsksNothingBeforeItsWrite: the intent it was created
// with is this worker's own, so the write does not first ask whether it
// happened; on a directory without a password stamp that question is a
// bind with the new password, which would fail and count as a bad
// password against the very user being unlocked. The read-back is the
// one bind.
func TestABreakGlassAsksNothingBeforeItsWrite(t *testing.T) {
	h := newHarness(t, nil)
	h.org.Directory = noStamp{h.dir}
	svc := h.replica(h.st)
	r, err := svc.BreakGlass(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "alice", Reason: "Verified by call-back"})
	if err != nil || r.State != StateDone {
		t.Fatalf("break glass: %v", err)
	}
	if c := h.dir.Counts(); c.Verify != 1 || c.SetPassword != 1 {
		t.Fatalf("%d binds, %d password writes; want the read-back's bind and one write", c.Verify, c.SetPassword)
	}
}
