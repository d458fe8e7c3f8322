package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
)

// An Entra ID account: the directory can neither show nor clear its
// lockout. The form says so, an unlock-only request is refused with what
// can be done instead, and a reset goes ahead with the card saying it.
func TestSmartLockoutIsExplainedNotFaked(t *testing.T) {
	h := newHarness(t, nil)
	h.dir.Put(memory.User{Account: identity.Account{Username: "cloud", DisplayName: "Cloud Person", InScope: true, LockoutHidden: true},
		Password: "Old-Passw0rd!"})
	ctx := context.Background()

	c, err := h.svc.AccountCard(ctx, tech, "acme", "cloud")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Text, "does not show or clear smart lockouts") || !strings.Contains(c.Text, "signs the user out everywhere") {
		t.Fatalf("the form's facts do not explain smart lockout: %q", c.Text)
	}
	for _, f := range c.Fields {
		if (f.Label == "Locked" || f.Label == "Bad passwords") && f.Value != "not visible in Entra ID" {
			t.Fatalf("%s shows %q: a value Entra ID never gave us", f.Label, f.Value)
		}
	}

	_, err = h.svc.Submit(ctx, Submission{Requester: tech, OrgID: "acme", Account: "cloud", Mode: ModeUnlock, Reason: "caller verified by call-back"})
	fieldErr(t, err, FieldMode, "Choose Unlock and reset password")

	r := h.mustSubmit("cloud", "")
	if !strings.Contains(h.chat.all(), "does not show or clear smart lockouts") {
		t.Fatalf("the approval card does not say it: %s", h.chat.all())
	}
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	if h.dir.Calls.SetPassword != 1 {
		t.Fatalf("password writes %d, want 1", h.dir.Calls.SetPassword)
	}
}
