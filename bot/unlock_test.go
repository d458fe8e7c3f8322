package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

func (h *harness) submitUnlock(account string) (*Request, error) {
	return h.svc.Submit(context.Background(), Submission{Requester: tech, OrgID: "acme", Mode: ModeUnlock, Account: account,
		Temporary: true, NoteToPSA: true, Reason: "User knows the password, phone kept the old one", Origin: "C-acme"})
}

// Unlock only clears the lockout and never touches the password; it needs
// the same approval and guard, and is its own audit event and card text.
func TestUnlockOnly(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	before, _ := h.dir.User("alice")
	r, err := h.submitUnlock("alice")
	if err != nil {
		t.Fatal(err)
	}
	if r.State != StatePendingApproval || r.Generated || r.Temporary || r.NoteToPSA {
		t.Fatalf("unlock-only request: state %s generated %t temporary %t note %t", r.State, r.Generated, r.Temporary, r.NoteToPSA)
	}
	if _, err := h.svc.Approve(ctx, r.ID, tech); KindOf(err) != KindForbidden {
		t.Fatalf("self-approval of an unlock: %v", err)
	}
	r, err = h.svc.Approve(ctx, r.ID, approver)
	if err != nil || r.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	after, _ := h.dir.User("alice")
	if h.dir.Calls.SetPassword != 0 || after.Password != before.Password || after.PasswordStamp != before.PasswordStamp {
		t.Fatal("unlock-only touched the password")
	}
	if after.Lock.Locked || h.dir.Calls.Unlock != 1 {
		t.Fatalf("locked %t after %d unlocks", after.Lock.Locked, h.dir.Calls.Unlock)
	}
	trail := h.audit.String()
	for _, ev := range []string{"unlock.write_started", "unlock.unlocked", "unlock.verified", "unlock.completed"} {
		if !strings.Contains(trail, `"type":"`+ev+`"`) {
			t.Errorf("audit lacks %s", ev)
		}
	}
	if strings.Contains(trail, "reset.password_set") {
		t.Error("unlock-only audited a password change")
	}
	chat := h.chat.all()
	if !strings.Contains(chat, "Unlock request: Alice Person (alice)") || !strings.Contains(chat, "password is unchanged") {
		t.Fatalf("cards do not say it was an unlock only:\n%s", chat)
	}
	if strings.Contains(chat, "unlockbot.reveal") {
		t.Fatal("unlock-only offered a password to reveal")
	}
	if _, _, err := h.svc.RevealPassword(ctx, r.ID, tech); KindOf(err) != KindConflict {
		t.Fatalf("reveal after an unlock: %v", err)
	}
	notes, _ := h.tickets.Notes(ctx, r.Steps.TicketID)
	if len(notes) == 0 || notes[0].SealedPassword != "" || !strings.Contains(notes[0].Text, "password is unchanged") {
		t.Fatalf("ticket note: %+v", notes)
	}
}

func TestUnlockOnlyRefusals(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	_, err := h.svc.Submit(ctx, Submission{Requester: tech, OrgID: "acme", Mode: ModeUnlock, Account: "alice",
		Password: identity.NewSecret("Typed-Passw0rd-1"), Reason: "a reason long enough"})
	fieldErr(t, err, FieldPassword, "Unlock only")
	_, err = h.submitUnlock("bob") // not locked
	fieldErr(t, err, FieldAccount, "not locked")
	_, err = h.submitUnlock("dadmin")
	fieldErr(t, err, FieldAccount, "privileged")
	_, err = h.svc.Submit(ctx, Submission{Requester: tech, OrgID: "acme", Mode: "delete", Account: "alice", Reason: "a reason long enough"})
	fieldErr(t, err, FieldMode, "Choose")
	if keys, _ := h.st.List(ctx, "req:"); len(keys) != 0 {
		t.Fatal("a refused unlock left a request")
	}
}

// The lockout ran out while the request waited: nothing to write, done.
func TestUnlockOnlyWhenTheLockoutEnded(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r, err := h.submitUnlock("alice")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := h.dir.User("alice")
	a.Lock = identity.LockState{}
	h.dir.Put(a)
	if r, err = h.svc.Approve(ctx, r.ID, approver); err != nil || r.State != StateDone || !r.Steps.UnlockSkipped {
		t.Fatalf("approve: %v %+v", err, r)
	}
	if h.dir.Calls.Unlock != 0 {
		t.Fatal("an account that was not locked was written")
	}
	if !strings.Contains(h.chat.all(), "no longer locked") {
		t.Fatal("the card does not say the account was no longer locked")
	}
}

// The approval card and the form show the lockout facts read at submit,
// and how often unlockbot unlocked the account this week.
func TestLockoutFactsOnTheCardAndForm(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	lockedAt := h.clock.now().Add(-20 * time.Minute)
	a, _ := h.dir.User("alice")
	a.Lock = identity.LockState{Locked: true, LockedAt: lockedAt, BadCount: 3, LastBadAt: lockedAt}
	a.PasswordLastSet = time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	a.PasswordExpires = time.Date(2026, 12, 30, 8, 0, 0, 0, time.UTC)
	a.LastLogon = time.Date(2026, 11, 29, 17, 5, 0, 0, time.UTC)
	h.dir.Put(a)
	for i := range 2 { // unlocked twice this week already
		r, err := h.submitUnlock("alice")
		if err != nil {
			t.Fatalf("unlock %d: %v", i, err)
		}
		if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
			t.Fatal(err)
		}
		h.dir.Put(a) // locked again by the phone
		h.clock.add(13 * time.Hour)
	}
	card, err := h.svc.AccountCard(ctx, tech, "acme", "alice")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range card.Fields {
		got[f.Label] = f.Value
	}
	want := map[string]string{
		"Locked":                         "since " + when(lockedAt),
		"Bad passwords":                  "3, last " + when(lockedAt),
		"Password set":                   "2026-10-01 08:00 UTC; expires 2026-12-30 08:00 UTC",
		"Last logon":                     "2026-11-29 17:05 UTC",
		"Unlocked by unlockbot (7 days)": "2×",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("form fact %q = %q, want %q", k, got[k], v)
		}
	}
	if !strings.Contains(card.Text, "Unlocked 2× this week") || card.Tone != ToneWarning {
		t.Errorf("no repeat-unlock warning: %q %s", card.Text, card.Tone)
	}
	r := h.mustSubmit("alice", "")
	pending := approvalCard(h.org, r)
	if !strings.Contains(pending.Text, "Unlocked 2× this week") {
		t.Errorf("approval card text %q lacks the warning", pending.Text)
	}
	var facts int
	for _, f := range pending.Fields {
		if f.Value == want[f.Label] {
			facts++
		}
	}
	if facts != len(want) {
		t.Errorf("approval card shows %d of %d facts: %+v", facts, len(want), pending.Fields)
	}
	// A privileged account is refused right in the form.
	card, err = h.svc.AccountCard(ctx, tech, "acme", "dadmin")
	if err != nil || card.Tone != ToneDanger || !strings.Contains(card.Text, "privileged") || len(card.Fields) != 0 {
		t.Fatalf("form card for an admin: %+v %v", card, err)
	}
	if _, err := h.svc.AccountCard(ctx, other, "acme", "alice"); KindOf(err) != KindForbidden {
		t.Fatalf("a stranger read the facts: %v", err)
	}
}
