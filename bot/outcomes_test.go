package bot

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
)

// Tests of outcomes that mutation testing showed unchecked: what is
// durable, what is logged when a platform or the store fails, and the
// exact texts and fields people read.

// The disk is waited for only where the flow needs it: the approval, the
// intent right before the directory write, and the outcome. Everything
// else is appended.
func TestOnlyApprovalIntentAndOutcomeAreDurable(t *testing.T) {
	h := newHarness(t, nil)
	spy := &sinkSpy{}
	svc := h.serviceOn(h.st, spy)
	ctx := context.Background()
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	if n := spy.writes(); n != 3 {
		t.Fatalf("%d durable writes for a reset, want 3: %v", n, spy.how)
	}
	for typ, want := range map[string]string{"request.approved": "write", "reset.started": "write", "reset.completed": "write", "reset.write_started": "append",
		"request.submitted": "append", "reset.password_set": "append", "reset.verified": "append", "ticket.created": "append"} {
		if got := spy.how[typ]; len(got) != 1 || got[0] != want {
			t.Errorf("%s went through %v, want %s", typ, got, want)
		}
	}
	d, err := submitOn(svc, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Deny(ctx, d.ID, approver, "no"); err != nil {
		t.Fatal(err)
	}
	if got := spy.how["request.denied"]; len(got) != 1 || got[0] != "append" {
		t.Errorf("a denial went through %v, want append (nothing acts on it)", got)
	}
	// An event the sink cannot take stops the step and is logged.
	spy.failOn = "reset.password_set"
	u, err := svc.Submit(ctx, Submission{Requester: tech, OrgID: "acme", Mode: ModeReset, Account: "bob", Reason: "Verified by call-back"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(ctx, u.ID, approver); err == nil || !strings.Contains(SafeMessage(err), "audit trail") {
		t.Fatalf("a reset whose outcome could not be audited: %v", err)
	}
	if !strings.Contains(h.logs.String(), `"event":"reset.password_set"`) {
		t.Fatal("the failed audit write is not logged")
	}
}

// A healthy flow logs no warning; a chat platform that fails every message
// is logged for each card it could not update, reply or DM, and the reset
// itself still completes.
func TestChatFailuresAreLoggedNotFatal(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	typed := h.mustSubmit("bob", "Typed-Passw0rd-Ok")
	if _, err := h.svc.Approve(ctx, typed.ID, approver); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.svc.RevealPassword(ctx, r.ID, tech); err != nil {
		t.Fatal(err)
	}
	if l := h.logs.String(); strings.Contains(l, `"level":"warn"`) || strings.Contains(l, `"level":"error"`) {
		t.Fatalf("a healthy reset logged a warning or an error:\n%s", l)
	}
	h.chat.failTell = errors.New("chat down")
	h.clock.add(25 * time.Hour) // bob's daily count starts over
	r = h.mustSubmit("bob", "")
	if r, err := h.svc.Approve(ctx, r.ID, approver); err != nil || r.State != StateDone {
		t.Fatalf("the reset failed with the chat down: %v", err)
	}
	for _, msg := range []string{"could not update the approval message", "could not reply in the thread", "could not notify privately"} {
		if !strings.Contains(h.logs.String(), msg) {
			t.Errorf("log lacks %q", msg)
		}
	}
}

// A confirmation is never sent for a reset not yet recorded as done: a
// crash right after telling the technician must not leave "executing".
func TestDoneIsRecordedBeforeAnyoneIsTold(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	checked := false
	h.chat.onNotify = func(_ Actor, c Card) {
		if strings.Contains(c.Title, "complete") {
			got, err := h.svc.Get(ctx, r.ID)
			if err != nil || got.State != StateDone {
				t.Errorf("told the technician while the store says %v (%v)", got, err)
			}
			checked = true
		}
	}
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	if !checked {
		t.Fatal("no completion message was sent")
	}
	if got, _ := h.svc.Get(ctx, r.ID); !got.Steps.Notified {
		t.Fatal("the messages are not recorded as sent")
	}
}

// A failure is recorded even when other replicas touch the request again
// and again in between; when the store keeps refusing past the update's
// tries, the worker gives up, says the failure is unrecorded, and leaves
// it to the sweeper.
func TestFailureRecordSurvivesConflicts(t *testing.T) {
	for _, tc := range []struct {
		conflicts int
		recorded  bool
	}{{updateTries - 1, true}, {updateTries, false}} {
		h, flaky, svc := flakyHarness(t)
		ctx := context.Background()
		r, err := submitOn(svc, "alice")
		if err != nil {
			t.Fatal(err)
		}
		svc.afterEffect = func(string) error {
			flaky.mu.Lock()
			flaky.conflicts["req:"] = tc.conflicts
			flaky.mu.Unlock()
			return errorf("test", KindUnavailable, nil, "Injected failure.")
		}
		_, err = svc.Approve(ctx, r.ID, approver)
		got, _ := svc.Get(ctx, r.ID)
		if tc.recorded && (got.State != StateFailed || !strings.Contains(SafeMessage(err), "Injected")) {
			t.Errorf("%d conflicts: state %s, err %v; want the failure recorded", tc.conflicts, got.State, err)
		}
		// What people are told is the record as saved, read again after
		// the conflicts, not the copy the worker started from.
		if tc.recorded && !strings.Contains(h.chat.all(), "dm test:U1: {Title:Not completed Text:Injected failure.") {
			t.Errorf("%d conflicts: the requester was not told the failure:\n%s", tc.conflicts, h.chat.all())
		}
		if !tc.recorded && (got.State != StateExecuting || KindOf(err) != KindUnavailable || !strings.Contains(SafeMessage(err), "did not record")) {
			t.Errorf("%d conflicts: state %s, err %v; want the worker to give up", tc.conflicts, got.State, err)
		}
	}
}

// The store failing to delete or to count logs a warning and changes
// nothing the person sees.
func TestStoreHiccupsAreLogged(t *testing.T) {
	h, flaky, svc := flakyHarness(t)
	ctx := context.Background()
	flaky.fail["Reserve:unlocks:"] = errors.New("redis: connection reset")
	flaky.fail["Delete:pw:"] = errors.New("redis: connection reset")
	r, err := submitOn(svc, "alice")
	if err == nil {
		t.Fatal("the facts of a submission were read without the unlock history")
	}
	delete(flaky.fail, "Reserve:unlocks:")
	if r, err = submitOn(svc, "alice"); err != nil {
		t.Fatal(err)
	}
	flaky.fail["ReserveAdd:unlocks:"] = errors.New("redis: connection reset")
	if _, err := svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.RevealPassword(ctx, r.ID, tech); err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"could not record the unlock in the account's history", "could not delete the revealed password"} {
		if !strings.Contains(h.logs.String(), msg) {
			t.Errorf("log lacks %q", msg)
		}
	}
}

func TestCardTexts(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	tk, _ := h.tickets.Create(ctx, psaTicket("acme-co"))
	r, err := h.svc.Submit(ctx, Submission{Requester: tech, OrgID: "acme", Account: "alice", TicketID: tk.ID, Reason: "Verified by call-back"})
	if err != nil {
		t.Fatal(err)
	}
	fields := func(c Card) map[string]string {
		m := map[string]string{}
		for _, f := range c.Fields {
			m[f.Label] = f.Value
		}
		return m
	}
	pending := fields(approvalCard(h.org, r))
	if pending["Ticket"] != "#"+tk.ID || pending["Action"] != "Unlock and reset password" || pending["Approved by"] != "" {
		t.Errorf("pending card: %v", pending)
	}
	d := h.mustSubmit("bob", "")
	d, _ = h.svc.Deny(ctx, d.ID, approver, "caller failed the check")
	denied := approvalCard(h.org, d)
	if f := fields(denied); f["Denied by"] != "Abe Approver (U2)" || f["Approved by"] != "" || f["Ticket"] != "new ticket" {
		t.Errorf("denied card: %v", f)
	}
	if !strings.Contains(denied.Text, "Reason: caller failed the check") {
		t.Errorf("denied text %q", denied.Text)
	}
	if f := fields(denyCard(d)); f["Denied by"] != "Abe Approver (U2)" {
		t.Errorf("deny message: %v", f)
	}
	if _, err := h.svc.Approve(ctx, d.ID, approver); !strings.Contains(SafeMessage(err), "already denied by Abe Approver (U2)") {
		t.Errorf("a click on a denied request: %v", err)
	}
	done, err := h.svc.Approve(ctx, r.ID, approver)
	if err != nil {
		t.Fatal(err)
	}
	if f := fields(approvalCard(h.org, done)); f["Approved by"] != "Abe Approver (U2)" || f["Ticket"] != "#"+tk.ID {
		t.Errorf("done card: %v", f)
	}
	u, err := h.submitUnlock("carol")
	if err == nil {
		t.Fatalf("carol is not in the test directory: %v", u)
	}
	a, _ := h.dir.User("bob")
	a.Lock = identity.LockState{Locked: true}
	h.dir.Put(a)
	u, err = h.submitUnlock("bob")
	if err != nil {
		t.Fatal(err)
	}
	if f := fields(approvalCard(h.org, u)); f["Action"] != "Unlock only (password unchanged)" || f["Password"] != "" {
		t.Errorf("unlock-only card: %v", f)
	}
}

// The ticket note's lockout line mentions earlier unlocks only when there
// were some.
func TestLockoutLine(t *testing.T) {
	if got := lockoutLine(Facts{BadCount: 3}, true); got != "locked, 3 bad passwords" {
		t.Errorf("no history: %q", got)
	}
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	if got := lockoutLine(Facts{LockedAt: at, UnlocksThisWeek: 1}, true); got != "locked since 2026-12-01 08:00 UTC, 0 bad passwords, unlocked 1× by unlockbot in the last 7 days" {
		t.Errorf("one earlier unlock: %q", got)
	}
	if got := lockoutLine(Facts{}, false); got != "not locked, 0 bad passwords" {
		t.Errorf("not locked: %q", got)
	}
}

// Every event about a request says which request, org and account.
func TestEventsNameTheRequestAndAccount(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.Approve(context.Background(), r.ID, approver); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(h.audit.String()), "\n") {
		var e audit.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.RequestID != r.ID || e.Org != "acme" || e.Target != "alice" || e.TargetDN != r.Account.ID {
			t.Errorf("%s names request %q org %q target %q dn %q", e.Type, e.RequestID, e.Org, e.Target, e.TargetDN)
		}
	}
}

// An auto-approved submission acts on the account read moments before (one
// lookup); a takeover reads it again.
func TestFreshReadIsReusedOnlyOnTheFirstAttempt(t *testing.T) {
	h := newHarness(t, nil)
	h.org.Policy.RequireApproval = false
	svc := h.replica(h.st)
	r, err := svc.Submit(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "alice", Reason: "Verified by call-back"})
	if err != nil || r.State != StateDone {
		t.Fatalf("auto-approved: %v", err)
	}
	if h.dir.Calls.Lookup != 1 {
		t.Fatalf("%d lookups for an auto-approved reset, want 1", h.dir.Calls.Lookup)
	}
	h2 := newHarness(t, nil)
	r2 := h2.mustSubmit("alice", "")
	crashAfterEffect(t, h2, h2.svc, r2.ID, "write")
	before := h2.dir.Calls.Lookup
	takeOver(t, h2, r2.ID)
	if h2.dir.Calls.Lookup != before+1 {
		t.Fatalf("the takeover made %d lookups, want 1 fresh read", h2.dir.Calls.Lookup-before)
	}
}

func TestPolicyDefaults(t *testing.T) {
	p := Policy{}.withDefaults()
	if p.MinPasswordLength != 12 || p.GeneratedLength != 16 || p.MaxResetsPerAccountPerDay != 3 || p.ApprovalTTL != time.Hour {
		t.Errorf("defaults: %+v", p)
	}
	if p := (Policy{MinPasswordLength: 20}).withDefaults(); p.GeneratedLength != 20 {
		t.Errorf("generated length %d under a 20-character minimum", p.GeneratedLength)
	}
	if p := (Policy{MinPasswordLength: 16, GeneratedLength: 16}).withDefaults(); p.GeneratedLength != 16 {
		t.Errorf("generated length %d", p.GeneratedLength)
	}
	if p := (Policy{GeneratedLength: 24}).withDefaults(); p.GeneratedLength != 24 {
		t.Errorf("a configured generated length became %d", p.GeneratedLength)
	}
	pw, err := generate(Policy{}.withDefaults(), AccountRef{Username: "alice"})
	if err != nil || len(pw.Reveal()) != 16 || strings.Contains(pw.Reveal(), "-") && strings.Count(pw.Reveal(), "-") > 2 {
		t.Errorf("default generated password: %d characters, %v", len(pw.Reveal()), err)
	}
}

func TestErrorText(t *testing.T) {
	if got := (&Error{Op: "bot.x", Safe: "Try again."}).Error(); got != "bot.x: Try again." {
		t.Errorf("without a cause: %q", got)
	}
	if got := (&Error{Op: "bot.x", Safe: "Try again.", Err: errors.New("boom")}).Error(); got != "bot.x: Try again.: boom" {
		t.Errorf("with a cause: %q", got)
	}
}

func TestActorWithSeveralGroups(t *testing.T) {
	a := Actor{Platform: "slack", Tenant: "T1", ID: "U9", Groups: []string{"S1", "S2", "S3"}}
	o := &Org{Approvers: []string{"slack:T1:S3"}}
	if !o.IsApprover(a) {
		t.Fatal("the third group does not grant its role")
	}
	if o := (&Org{Approvers: []string{"slack:S3"}}); o.IsApprover(a) {
		t.Fatal("a principal without the tenant granted a role")
	}
}

// A typed password is kept for the approval window plus two leases: an
// approval in the last second, whose worker then dies, can still be taken
// over and set the password the technician typed.
func TestTypedPasswordOutlivesTheApprovalWindow(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "Typed-Passw0rd-Kept")
	h.clock.add(time.Hour - time.Second)
	h.svc.afterStep = func(step string) error {
		if step == "reserve" {
			runtime.Goexit() // the worker dies before the write
		}
		return nil
	}
	done := make(chan struct{})
	go func() { defer close(done); _, _ = h.svc.Approve(ctx, r.ID, approver) }()
	<-done
	h.clock.add(h.svc.lease + 2*time.Second)
	got, err := h.replica(h.st).Execute(ctx, r.ID)
	if err != nil || got.State != StateDone {
		t.Fatalf("takeover a lease after a last-second approval: %v", err)
	}
	if u, _ := h.dir.User("alice"); u.Password != "Typed-Passw0rd-Kept" {
		t.Fatal("the typed password was not the one set")
	}
	if strings.Contains(h.audit.String(), `"flags"`) {
		t.Fatal("a chat request recorded operator flags")
	}
}

// A submission the store could not record holds no place among the
// technician's open requests.
func TestUnrecordedSubmissionsHoldNoOpenPlace(t *testing.T) {
	h := newHarness(t, nil)
	flaky := newFlaky(h.st)
	svc := h.replica(flaky)
	flaky.fail["Create:req:"] = errors.New("redis: OOM")
	for i := range 7 {
		_, err := svc.Submit(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "bob", Reason: "Verified by call-back"})
		if KindOf(err) != KindUnavailable {
			t.Fatalf("submission %d with the store refusing writes: %v", i+1, err)
		}
	}
}

// The stamp moved, but the password that binds is not the one unlockbot
// set (an admin changed it meanwhile): unlockbot does not write over it;
// it stops and says the change is not what it made.
func TestSomeoneElsesWriteIsNotOverwritten(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	crashAfterEffect(t, h, h.svc, r.ID, "write")
	ctx := context.Background()
	acct, _ := h.dir.Lookup(ctx, "alice")
	if err := h.dir.SetPassword(ctx, acct, identity.PasswordChange{Password: identity.NewSecret("Admins-Own-Passw0rd")}); err != nil {
		t.Fatal(err)
	}
	h.clock.add(2 * time.Minute)
	got, err := h.replica(h.st).Execute(ctx, r.ID)
	if h.dir.Calls.SetPassword != 2 { // ours, then the admin's
		t.Fatalf("%d password writes, want ours and the admin's only", h.dir.Calls.SetPassword)
	}
	if err == nil || got.State != StateFailed || !strings.Contains(got.Failure, "new password accepted=false") {
		t.Fatalf("takeover over someone else's write: %v, %+v", err, got)
	}
	if u, _ := h.dir.User("alice"); u.Password != "Admins-Own-Passw0rd" {
		t.Fatal("the admin's password was overwritten")
	}
}

// An approval late in the window extends the typed password's life over
// the window it opens: a retry within that window still finds it.
func TestLateApprovalRetryFindsThePassword(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "Typed-Passw0rd-Late")
	h.clock.add(55 * time.Minute)
	h.dir.FailNext("Verify", identity.E("test", identity.KindUnavailable, "The directory did not answer in time.", identity.ErrUnavailable))
	r, _ = h.svc.Approve(ctx, r.ID, approver)
	if r.State != StateFailed || !r.Retryable || !r.Steps.PasswordSet {
		t.Fatalf("after a verify outage: %s %+v", r.State, r.Steps)
	}
	h.clock.add(10 * time.Minute) // 65 minutes after submit, 10 after the approval
	if r, err := h.svc.Retry(ctx, r.ID, tech); err != nil || r.State != StateDone {
		t.Fatalf("retry inside the approval's window: %v", err)
	}
	if h.dir.Calls.SetPassword != 1 {
		t.Fatalf("%d password writes", h.dir.Calls.SetPassword)
	}
}

// A failed request gives back its open place; retrying it takes one again,
// so a technician cannot run more than the limit by failing and retrying.
func TestRetryTakesAnOpenPlace(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	h.dir.FailNext("SetPassword", identity.E("test", identity.KindUnavailable, "The directory did not answer in time.", identity.ErrUnavailable))
	if r, _ = h.svc.Approve(ctx, r.ID, approver); !r.Retryable {
		t.Fatal("not retryable")
	}
	for range 5 {
		h.mustSubmit("bob", "")
	}
	if _, err := h.svc.Retry(ctx, r.ID, tech); KindOf(err) != KindForbidden || !strings.Contains(SafeMessage(err), "requests open") {
		t.Fatalf("a retry over the open limit: %v", err)
	}
	if !strings.Contains(h.audit.String(), `"type":"request.retry_refused"`) {
		t.Fatal("the refused retry is not audited")
	}
	if h.dir.Calls.SetPassword != 0 {
		t.Fatal("the refused retry wrote")
	}
}
