package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

// approvalMeets makes the approval's durable record meet whatever else
// calls m.
type approvalMeets struct {
	audit.Syncer
	m *meeting
}

func (s approvalMeets) Write(ctx context.Context, e audit.Event) error {
	if e.Type == "request.approved" {
		s.m.arrive()
	}
	return s.Syncer.Write(ctx, e)
}

// passwordReadMeets makes the read of a typed password meet m.
type passwordReadMeets struct {
	store.Store
	m *meeting
}

func (s passwordReadMeets) Get(ctx context.Context, key string) (store.Record, error) {
	if s.m != nil && strings.HasPrefix(key, "pw:") {
		s.m.arrive()
	}
	return s.Store.Get(ctx, key)
}

// TestATypedPasswordIsKeptWhileTheApprovalIsFlushed: the approval's
// extension of the typed password's lifetime runs while the approval goes
// to disk, not after it; the password then lives through the window.
func TestATypedPasswordIsKeptWhileTheApprovalIsFlushed(t *testing.T) {
	h := newHarness(t, nil)
	m := newMeeting()
	st := &passwordReadMeets{Store: h.st}
	svc := h.serviceOn(st, approvalMeets{jsonl.New(h.audit, nil), m})
	r, err := svc.Submit(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "alice",
		Password: identity.NewSecret("Typed-Passw0rd-42!"), Reason: "Verified by call-back"})
	if err != nil {
		t.Fatal(err)
	}
	st.m = m
	if got, err := svc.Approve(context.Background(), r.ID, approver); err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	if !m.met() {
		t.Fatal("the typed password was kept only after the approval was on disk")
	}
	if u, _ := h.dir.User("alice"); u.Password != "Typed-Passw0rd-42!" {
		t.Fatalf("alice's password is %q, want the typed one", u.Password)
	}
}
