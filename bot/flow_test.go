package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

func TestFullFlowGeneratedPassword(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		ctx := context.Background()
		r := h.mustSubmit("alice", "")
		if r.State != StatePendingApproval || r.ApprovalMsg == nil {
			t.Fatalf("after submit: state %s, msg %v", r.State, r.ApprovalMsg)
		}
		if !strings.Contains(h.chat.all(), "post C-approvals") || !strings.Contains(h.chat.all(), "unlockbot.approve") {
			t.Fatalf("approval card not posted with buttons:\n%s", h.chat.all())
		}
		r, err := h.svc.Approve(ctx, r.ID, approver)
		if err != nil {
			t.Fatalf("approve: %v", err)
		}
		if r.State != StateDone {
			t.Fatalf("state %s, failure %q", r.State, r.Failure)
		}
		u, _ := h.dir.User("alice")
		if u.Lock.Locked || !u.PasswordLastSet.IsZero() {
			t.Fatalf("alice locked=%t pwdLastSet=%v; want unlocked and must-change", u.Lock.Locked, u.PasswordLastSet)
		}
		if !r.Steps.TicketCreated || !r.Steps.TicketResolved || r.Steps.TicketID == "" {
			t.Fatalf("ticket steps %+v", r.Steps)
		}
		tk, err := h.tickets.Get(ctx, r.Steps.TicketID)
		if err != nil || !tk.Closed || tk.CompanyID != "acme-co" {
			t.Fatalf("ticket %+v err %v", tk, err)
		}
		pw, _, err := h.svc.RevealPassword(ctx, r.ID, other)
		if err == nil || KindOf(err) != KindForbidden || !pw.IsZero() {
			t.Fatalf("reveal by someone else: %v", err)
		}
		pw, _, err = h.svc.RevealPassword(ctx, r.ID, tech)
		if err != nil || pw.Reveal() != u.Password {
			t.Fatalf("reveal: err %v, matches directory %t", err, pw.Reveal() == u.Password)
		}
		if _, _, err := h.svc.RevealPassword(ctx, r.ID, tech); KindOf(err) != KindConflict {
			t.Fatalf("second reveal: %v", err)
		}
		assertNoLeak(t, h, pw.Reveal())
		for _, ev := range []string{"request.submitted", "request.approved", "reset.write_started", "reset.password_set", "reset.verified", "ticket.created", "ticket.noted", "reset.completed", "password.revealed", "password.reveal_refused"} {
			if !strings.Contains(h.audit.String(), `"type":"`+ev+`"`) {
				t.Errorf("audit lacks %s", ev)
			}
		}
	})
}

// assertNoLeak scans every output the flow produced for the password.
func assertNoLeak(t *testing.T, h *harness, pw string) {
	t.Helper()
	if pw == "" {
		t.Fatal("empty password scanned")
	}
	for name, out := range map[string]string{"log": h.logs.String(), "audit": h.audit.String(), "chat": h.chat.all(), "store": h.storeDump()} {
		if strings.Contains(out, pw) {
			t.Errorf("password found in %s output", name)
		}
		if out == "" && name != "store" {
			t.Errorf("%s output is empty: the scan would prove nothing", name)
		}
	}
}

func TestTypedPasswordWithNoteIsSealedAndDropped(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		ctx := context.Background()
		const pw = "Tr0ub4dor&3-horse"
		r, err := h.svc.Submit(ctx, Submission{Requester: tech, OrgID: "acme", Account: "bob", Password: identity.NewSecret(pw), NoteToPSA: true, Reason: "verified by manager on a call"})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(h.storeDump(), pw) {
			t.Fatal("typed password stored in clear while pending")
		}
		if r, err = h.svc.Approve(ctx, r.ID, approver); err != nil || r.State != StateDone {
			t.Fatalf("approve: %v", err)
		}
		if _, err := h.st.Get(ctx, passwordKey(r.ID)); err == nil {
			t.Fatal("typed password still kept after the reset")
		}
		notes, _ := h.tickets.Notes(ctx, r.Steps.TicketID)
		sealed := 0
		for _, n := range notes {
			if n.SealedPassword != "" {
				sealed++
				if !n.Internal {
					t.Fatal("password note is not internal")
				}
			}
		}
		if sealed != 1 {
			t.Fatalf("want exactly one sealed password note, got %d", sealed)
		}
		u, _ := h.dir.User("bob")
		if u.Password != pw {
			t.Fatal("typed password not set")
		}
		assertNoLeak(t, h, pw)
	})
}

func TestApprovalRules(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.Approve(ctx, r.ID, tech); KindOf(err) != KindForbidden || !strings.Contains(SafeMessage(err), "someone else") {
		t.Fatalf("self-approval: %v", err)
	}
	if _, err := h.svc.Approve(ctx, r.ID, other); KindOf(err) != KindForbidden || !strings.Contains(SafeMessage(err), "not an approver") {
		t.Fatalf("non-approver: %v", err)
	}
	if got, _ := h.svc.Get(ctx, r.ID); got.State != StatePendingApproval {
		t.Fatalf("refused clicks changed the state to %s", got.State)
	}
	if h.dir.Calls.Unlock != 0 || h.dir.Calls.SetPassword != 0 {
		t.Fatal("refused clicks touched the directory")
	}
	// An approver through a group may approve.
	if r2, err := h.svc.Approve(ctx, r.ID, groupie); err != nil || r2.State != StateDone {
		t.Fatalf("group approver: %v", err)
	}
	if !strings.Contains(h.audit.String(), `"type":"request.decision_refused"`) {
		t.Fatal("refused decisions not audited")
	}
}

func TestDeny(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("bob", "Str0ng-enough-pass")
	r, err := h.svc.Deny(ctx, r.ID, approver, "caller could not be verified")
	if err != nil || r.State != StateDenied {
		t.Fatalf("deny: %v %v", r, err)
	}
	if _, err := h.svc.Approve(ctx, r.ID, approver); KindOf(err) != KindConflict || !strings.Contains(SafeMessage(err), "denied") {
		t.Fatalf("approve after deny: %v", err)
	}
	if _, err := h.st.Get(ctx, passwordKey(r.ID)); err == nil {
		t.Fatal("typed password kept after deny")
	}
	if h.dir.Calls.SetPassword != 0 || !strings.Contains(h.chat.all(), "caller could not be verified") {
		t.Fatal("deny: directory touched or reason not shown")
	}
}

func TestExpiry(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	h.clock.add(61 * time.Minute)
	_, err := h.svc.Approve(ctx, r.ID, approver)
	if KindOf(err) != KindConflict || !strings.Contains(SafeMessage(err), "expired") {
		t.Fatalf("approve after expiry: %v", err)
	}
	got, _ := h.svc.Get(ctx, r.ID)
	if got.State != StateExpired || h.dir.Calls.Unlock != 0 {
		t.Fatalf("state %s, unlocks %d", got.State, h.dir.Calls.Unlock)
	}
}

func TestNoApprovalRequiredExecutesOnSubmit(t *testing.T) {
	h := newHarness(t, nil)
	h.org.Policy.RequireApproval = false
	h.svc = h.replica(h.st)
	r := h.mustSubmit("alice", "")
	if r.State != StateDone || h.dir.Calls.Unlock != 1 {
		t.Fatalf("state %s unlocks %d", r.State, h.dir.Calls.Unlock)
	}
	if !strings.Contains(h.audit.String(), "policy:no_approval_required") {
		t.Fatal("auto-approval not audited as such")
	}
}

func TestApprovalChannelFailureLeavesNothingPending(t *testing.T) {
	h := newHarness(t, nil)
	h.chat.fail = errors.New("not_in_channel")
	_, err := h.submit("alice", "Str0ng-enough-pass")
	if err == nil || !strings.Contains(SafeMessage(err), "could not be posted") {
		t.Fatalf("want a clear error, got %v", err)
	}
	keys, _ := h.st.List(context.Background(), "pw:")
	if len(keys) != 0 {
		t.Fatalf("typed password left behind: %v", keys)
	}
}

// An approval whose audit record cannot be written is withdrawn: nothing
// runs now, and the sweeper does not run it later.
func TestApprovalWithoutAuditRecordIsNotActedOn(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	h.failAudit = "request.approved"
	if _, err := h.svc.Approve(ctx, r.ID, approver); err == nil || !strings.Contains(SafeMessage(err), "audit") {
		t.Fatalf("approve with the audit trail failing: %v", err)
	}
	h.failAudit = ""
	h.clock.add(10 * time.Minute)
	if _, err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := h.svc.Get(ctx, r.ID)
	if got.State != StateFailed || got.Retryable || h.dir.Calls.Unlock != 0 || h.dir.Calls.SetPassword != 0 {
		t.Fatalf("state %s retryable %t unlocks %d sets %d", got.State, got.Retryable, h.dir.Calls.Unlock, h.dir.Calls.SetPassword)
	}
}
