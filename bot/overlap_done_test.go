package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

// dropMeets makes the drop of a sealed password meet m, once m is set.
type dropMeets struct {
	store.Store
	m **meeting
}

func (s dropMeets) Delete(ctx context.Context, key string) error {
	if *s.m != nil && strings.HasPrefix(key, "pw:") {
		(*s.m).arrive()
	}
	return s.Store.Delete(ctx, key)
}

// TestATypedPasswordIsDroppedWhileTheConfirmationsGoOut: once a reset is
// done, its typed password is dropped side by side with the requester's
// confirmation, not before it starts, and it is gone when the call returns.
func TestATypedPasswordIsDroppedWhileTheConfirmationsGoOut(t *testing.T) {
	h := newHarness(t, nil)
	var m *meeting
	svc := h.replica(dropMeets{h.st, &m})
	r, err := svc.Submit(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "alice",
		Password: identity.NewSecret("Typed-Passw0rd-Dropped!"), Reason: "Verified by call-back"})
	if err != nil {
		t.Fatal(err)
	}
	m = newMeeting()
	h.chat.onNotify = func(to Actor, _ Card) {
		if to.Key() == tech.Key() {
			m.arrive()
		}
	}
	if got, err := svc.Approve(context.Background(), r.ID, approver); err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	if !m.met() {
		t.Fatal("the typed password was dropped before the confirmations went out, not beside them")
	}
	if _, err := h.st.Get(context.Background(), passwordKey(r.ID)); err == nil {
		t.Fatal("the typed password is still stored after the reset")
	}
}
