package bot

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

// passwordReads counts the reads of sealed passwords.
type passwordReads struct {
	store.Store
	n atomic.Int32
}

func (s *passwordReads) Get(ctx context.Context, key string) (store.Record, error) {
	if strings.HasPrefix(key, "pw:") {
		s.n.Add(1)
	}
	return s.Store.Get(ctx, key)
}

// TestABreakGlassResetSetsTheTypedPasswordWithoutReadingItBack: the
// password a break-glass reset was given is sealed under the request at
// submit and set from the copy in hand; the store is not asked for what
// was just written. A request run later (an approval) reads it back.
func TestABreakGlassResetSetsTheTypedPasswordWithoutReadingItBack(t *testing.T) {
	h := newHarness(t, nil)
	st := &passwordReads{Store: h.st}
	svc := h.replica(st)
	const typed = "Typed-Passw0rd-Glass!"
	r, err := svc.BreakGlass(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "alice",
		Password: identity.NewSecret(typed), Reason: "Verified by call-back"})
	if err != nil || r.State != StateDone {
		t.Fatalf("break glass: %v", err)
	}
	if n := st.n.Load(); n != 0 {
		t.Fatalf("the break-glass reset read its password back %d times, want 0", n)
	}
	if u, _ := h.dir.User("alice"); u.Password != typed {
		t.Fatalf("alice's password is %q, want the typed one", u.Password)
	}
	r, err = svc.Submit(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "bob",
		Password: identity.NewSecret("Typed-Passw0rd-Later!"), Reason: "Verified by call-back"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := svc.Approve(context.Background(), r.ID, approver); err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	if u, _ := h.dir.User("bob"); u.Password != "Typed-Passw0rd-Later!" || st.n.Load() == 0 {
		t.Fatalf("the approved reset set %q after %d password reads", u.Password, st.n.Load())
	}
}

// TestADoneRequestHoldsNoTypedPassword: the request a break-glass reset
// hands back keeps no copy of the password it was given.
func TestADoneRequestHoldsNoTypedPassword(t *testing.T) {
	h := newHarness(t, nil)
	r, err := h.svc.BreakGlass(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "alice",
		Password: identity.NewSecret("Typed-Passw0rd-Glass!"), Reason: "Verified by call-back"})
	if err != nil || r.State != StateDone {
		t.Fatalf("break glass: %v", err)
	}
	if !r.sealed.IsZero() {
		t.Fatal("the done request still holds the typed password")
	}
}

// The typed password a break-glass reset carries in hand (Request.sealed)
// shows nowhere: not in the log, the trail, a chat message or the store,
// and the store's sealed copy is gone once the reset is done.
func TestABreakGlassTypedPasswordInHandLeaksNowhere(t *testing.T) {
	h := newHarness(t, nil)
	const typed = "Typed-Passw0rd-InHand!"
	r, err := h.svc.BreakGlass(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "alice",
		Password: identity.NewSecret(typed), Reason: "Verified by call-back"})
	if err != nil || r.State != StateDone {
		t.Fatalf("break glass: %v", err)
	}
	h.settle()
	for name, out := range map[string]string{"log": h.logs.String(), "audit": h.audit.String(), "chat": h.chat.all(), "store": h.storeDump()} {
		if strings.Contains(out, typed) {
			t.Errorf("the typed password appears in the %s", name)
		}
	}
	if _, err := h.st.Get(context.Background(), passwordKey(r.ID)); err == nil {
		t.Error("the sealed typed password is still stored after the reset")
	}
	if !r.sealed.IsZero() {
		t.Error("the returned request still holds the typed password")
	}
}
