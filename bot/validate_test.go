package bot

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
)

func fieldErr(t *testing.T, err error, field FieldID, want string) {
	t.Helper()
	var v *ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("want a validation error on %s, got %v", field, err)
	}
	if msg := v.Fields[field]; !strings.Contains(msg, want) {
		t.Fatalf("field %s: %q does not contain %q (all: %v)", field, msg, want, v.Fields)
	}
}

func TestGuardRefusesInsideTheForm(t *testing.T) {
	cases := map[string]string{
		"dadmin":  "privileged account",
		"nested":  "Domain Admins",
		"acount":  "adminCount=1",
		"off":     "disabled",
		"intent":  "locked on purpose",
		"outside": "No account",
		"blind":   "did not tell us",
		"deny":    "VIPs",
		"nobody":  "No account",
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, nil)
			_, err := h.submit(name, "")
			fieldErr(t, err, FieldAccount, want)
			if keys, _ := h.st.List(context.Background(), "req:"); len(keys) != 0 {
				t.Fatal("a refused submission left a request")
			}
			if !strings.Contains(h.audit.String(), `"type":"request.refused"`) {
				t.Fatal("refusal not audited")
			}
		})
	}
}

// Membership can change while a request waits: the guard runs again on a
// fresh read right before the reset.
func TestGuardRunsAgainAtExecution(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("bob", "")
	bob, _ := h.dir.User("bob")
	bob.ProtectedGroups = []string{"Domain Admins"}
	h.dir.Put(bob)
	r, err := h.svc.Approve(ctx, r.ID, approver)
	if err == nil || r.State != StateFailed || r.Retryable || h.dir.Calls.SetPassword != 0 {
		t.Fatalf("want a final refusal, got %v state %s retryable %t", err, r.State, r.Retryable)
	}
	if !strings.Contains(h.audit.String(), `"code":"protected_group"`) {
		t.Fatal("refusal code not audited")
	}
}

func TestFieldValidation(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	sub := func(mod func(*Submission)) error {
		s := Submission{Requester: tech, OrgID: "acme", Account: "bob", Temporary: true, Reason: "verified by call-back"}
		mod(&s)
		_, err := h.svc.Submit(ctx, s)
		return err
	}
	fieldErr(t, sub(func(s *Submission) { s.Account = "" }), FieldAccount, "Pick the account")
	fieldErr(t, sub(func(s *Submission) { s.Reason = "x" }), FieldReason, "Say why")
	fieldErr(t, sub(func(s *Submission) { s.Reason = strings.Repeat("a", 600) }), FieldReason, "under 500")
	fieldErr(t, sub(func(s *Submission) { s.Password = identity.NewSecret("short1A!") }), FieldPassword, "at least 12")
	fieldErr(t, sub(func(s *Submission) { s.Password = identity.NewSecret("alllowercaseletters") }), FieldPassword, "three of")
	fieldErr(t, sub(func(s *Submission) { s.Password = identity.NewSecret("Bob-Rocks-2026!") }), FieldPassword, "account name")
	fieldErr(t, sub(func(s *Submission) { s.Password = identity.NewSecret("Xx-Person-2026!") }), FieldPassword, "person's name")
	fieldErr(t, sub(func(s *Submission) { s.TicketID = "9999" }), FieldTicket, "not found")

	// A ticket of another org (another company in the same PSA) is refused.
	tk, err := h.tickets.Create(ctx, psa.NewTicket{CompanyID: "globex", Summary: "printer"})
	if err != nil {
		t.Fatal(err)
	}
	fieldErr(t, sub(func(s *Submission) { s.TicketID = tk.ID }), FieldTicket, "another organization")
	own, _ := h.tickets.Create(ctx, psa.NewTicket{CompanyID: "acme-co", Summary: "locked out"})
	if err := sub(func(s *Submission) { s.TicketID = own.ID }); err != nil {
		t.Fatalf("own ticket refused: %v", err)
	}
	if _, err := h.svc.Submit(ctx, Submission{Requester: other, OrgID: "acme", Account: "bob", Reason: "verified by call-back"}); KindOf(err) != KindForbidden {
		t.Fatalf("non-technician: %v", err)
	}
}

func TestDailyLimit(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		r := h.mustSubmit("bob", "")
		if r, err := h.svc.Approve(ctx, r.ID, approver); err != nil || r.State != StateDone {
			t.Fatalf("reset %d: %v", i+1, err)
		}
	}
	_, err := h.submit("bob", "")
	fieldErr(t, err, FieldAccount, "3 times in the last 24 hours")
	h.clock.add(24*60*60*1e9 + 1e9)
	if _, err := h.submit("bob", ""); err != nil {
		t.Fatalf("after 24 h: %v", err)
	}
}

// Two requests for one account pass the form while under the limit; the
// limit is enforced again, atomically, when the reset runs.
func TestDailyLimitHeldAtExecution(t *testing.T) {
	h := newHarness(t, nil)
	h.org.Policy.MaxResetsPerAccountPerDay = 1
	h.svc = h.replica(h.st)
	ctx := context.Background()
	a, b := h.mustSubmit("bob", ""), h.mustSubmit("bob", "")
	if _, err := h.svc.Approve(ctx, a.ID, approver); err != nil {
		t.Fatal(err)
	}
	r, err := h.svc.Approve(ctx, b.ID, approver)
	if err == nil || r.State != StateFailed || !strings.Contains(r.Failure, "limit") || h.dir.Calls.SetPassword != 1 {
		t.Fatalf("second reset: %v %s %q", err, r.State, r.Failure)
	}
}

func TestDirectoryPolicyRejectionIsShownAndFinal(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("bob", "")
	h.dir.FailNext("SetPassword", identity.E("test", identity.KindInvalid, "The directory rejected the password: the password does not meet the complexity criteria!", identity.ErrPolicy))
	r, _ = h.svc.Approve(ctx, r.ID, approver)
	if r.State != StateFailed || r.Retryable || !strings.Contains(r.Failure, "complexity criteria") {
		t.Fatalf("state %s retryable %t failure %q", r.State, r.Retryable, r.Failure)
	}
	if !strings.Contains(h.chat.all(), "complexity criteria") {
		t.Fatal("AD's reason not shown in the thread")
	}
}

func TestDirectoryOutageIsRetryable(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	h.dir.FailNext("SetPassword", identity.E("test", identity.KindUnavailable, "The directory did not answer in time.", identity.ErrUnavailable))
	r, _ = h.svc.Approve(ctx, r.ID, approver)
	if r.State != StateFailed || !r.Retryable || !strings.Contains(h.chat.all(), "unlockbot.retry") {
		t.Fatalf("state %s retryable %t", r.State, r.Retryable)
	}
	if _, err := h.svc.Retry(ctx, r.ID, other); KindOf(err) != KindForbidden {
		t.Fatalf("retry by a stranger: %v", err)
	}
	if r, err := h.svc.Retry(ctx, r.ID, approver); err != nil || r.State != StateDone {
		t.Fatalf("retry: %v", err)
	}
}

func TestNewFormRefusesStrangersAndAudits(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	if _, err := h.svc.NewForm(ctx, other, "C-acme", ""); KindOf(err) != KindForbidden {
		t.Fatalf("stranger got a form: %v", err)
	}
	if !strings.Contains(h.audit.String(), `"actor":"test:U3"`) || !strings.Contains(h.audit.String(), "not_technician") {
		t.Fatalf("refusal not audited: %s", h.audit.String())
	}
	f, err := h.svc.NewForm(ctx, tech, "C-acme", "alice")
	if err != nil {
		t.Fatal(err)
	}
	initial := map[FieldID]string{}
	for _, fd := range f.Fields {
		if fd.Initial != nil {
			initial[fd.ID] = fd.Initial.Value
		}
	}
	if initial[FieldOrg] != "acme" || initial[FieldAccount] != "alice" || initial[FieldMode] != string(ModeReset) {
		t.Fatalf("form preselects %v", initial)
	}
}
