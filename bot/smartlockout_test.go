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

// The password is written but a follow-up failed (Entra ID: sessions not
// revoked): the reset counts as done, is never written again, and the
// outcome, the ticket note and the trail say what is left to do.
func TestPartialWriteIsDoneWithWhatIsLeft(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	left := "The password WAS set, but signing the user out of their sessions failed. Do not reset again: revoke the sessions in Entra admin center."
	h.dir.PartialNext(identity.E("test.SetPassword", identity.KindPartial, left, identity.ErrPartial))
	got, err := h.svc.Approve(ctx, r.ID, approver)
	if err != nil || got.State != StateDone {
		t.Fatalf("a partial write: %v, state %v", err, got.State)
	}
	if h.dir.Calls.SetPassword != 1 || !got.Steps.PasswordSet || got.Steps.Warning != left {
		t.Fatalf("writes %d, steps %+v", h.dir.Calls.SetPassword, got.Steps)
	}
	if !strings.Contains(h.chat.all(), "Do not reset again") {
		t.Fatal("the outcome does not say what is left to do")
	}
	notes, _ := h.tickets.Notes(ctx, got.Steps.TicketID)
	if len(notes) == 0 || !strings.Contains(notes[0].Text, "Still to do by hand: "+left) {
		t.Fatalf("ticket notes: %+v", notes)
	}
	if !strings.Contains(h.audit.String(), `"warning":"The password WAS set`) {
		t.Fatal("the trail does not record what was left undone")
	}
}

func TestSyncedAccountSaysWhereItIsReset(t *testing.T) {
	h := newHarness(t, nil)
	h.dir.Put(memory.User{Account: identity.Account{Username: "carol@acme.test", DisplayName: "Carol", InScope: true, Synced: true,
		Lock: identity.LockState{Locked: true}}, Password: "Old-Passw0rd!"})
	c, err := h.svc.AccountCard(context.Background(), tech, "acme", "carol@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Text, "Synced from on-premises AD") || !strings.Contains(c.Text, "write-back is not involved") {
		t.Fatalf("card text %q", c.Text)
	}
	for _, f := range c.Fields {
		if f.Label == "Locked" && !strings.HasPrefix(f.Value, "yes") && !strings.HasPrefix(f.Value, "since") {
			t.Fatalf("a synced account's AD lockout must show: %q", f.Value)
		}
	}
}
