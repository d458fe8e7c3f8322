package bot

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// verifyHarness gives alice a mail, a second mailbox and personal data,
// and sets the org's verification policy.
func verifyHarness(t *testing.T, p VerifyPolicy) (*harness, *fakeMailer) {
	t.Helper()
	return verifyHarnessOn(t, nil, p)
}

func verifyHarnessOn(t *testing.T, st store.Store, p VerifyPolicy) (*harness, *fakeMailer) {
	t.Helper()
	h := newHarness(t, st)
	alice, _ := h.dir.User("alice")
	alice.Mail = "alice@example.test"
	alice.Attributes = map[string]string{"otherMailbox": "alice.home@example.test", "employeeID": "E-4711", "mobile": "+1 555 010 9876"}
	h.dir.Put(alice)
	m := &fakeMailer{}
	h.svc.mailer = m
	h.svc.orgs["acme"].Policy.Verify = p
	return h, m
}

var codeRE = regexp.MustCompile(`\b\d{6}\b`)

// sendCode presses Send e-mail code as the technician and returns the
// code from the mail that arrived.
func (h *harness) sendCode(m *fakeMailer, id, addr string) string {
	h.t.Helper()
	before := len(m.to(addr))
	a := h.svc.Click(context.Background(), Click{Action: ActionVerifyEmail, RequestID: id, Actor: tech, Where: "D-tech"})
	if a.Form == nil || a.Form.ID != FormVerifyCode || a.Form.Context != id {
		h.t.Fatalf("send code answered %+v, want the code form", a)
	}
	h.drain()
	got := m.to(addr)
	if len(got) != before+1 {
		h.t.Fatalf("%d mails to %s, want %d; chat: %s", len(got), addr, before+1, h.chat.all())
	}
	code := codeRE.FindString(got[len(got)-1].Text)
	if code == "" {
		h.t.Fatalf("no code in %q", got[len(got)-1].Text)
	}
	return code
}

func (h *harness) typeCode(id, code string) FormAnswer {
	return h.svc.SubmitForm(context.Background(), FormReply{Form: FormVerifyCode, Actor: tech, Context: id, Values: FormValues{FieldCode: code}})
}

func wrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

var (
	longHex = regexp.MustCompile(`[0-9a-f]{32,}`)
	stamp   = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?`)
)

func assertNoCodeLeak(t *testing.T, h *harness, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for name, out := range map[string]string{"log": h.logs.String(), "audit": h.audit.String(), "chat": h.chat.all(), "store": h.storeDump()} {
			if out == "" {
				t.Fatalf("%s output is empty: the scan would prove nothing", name)
			}
			// The trail's hashes and MACs (long hex), and the nanoseconds
			// of the times kept on the real clock, hold any four digits
			// by chance now and then (CI saw "9876" in one of each); a
			// leaked value stands as a value of its own, not inside a
			// hash or a time.
			if strings.Contains(stamp.ReplaceAllString(longHex.ReplaceAllString(out, "#"), "#"), s) {
				t.Errorf("%q found in %s output", s, name)
			}
		}
	}
}

func TestEmailCodeGatesTheApproval(t *testing.T) {
	h, m := verifyHarness(t, VerifyPolicy{Required: []VerifyMethod{VerifyEmailCode}})
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	if r.State != StatePendingApproval {
		t.Fatalf("state %s", r.State)
	}
	chat := h.chat.all()
	if !strings.Contains(chat, "dm test:U1: {Title:Verify the caller") || !strings.Contains(chat, string(ActionVerifyEmail)) {
		t.Fatalf("technician not offered the verification: %s", chat)
	}
	if !strings.Contains(chat, "{Label:Verification Value:pending (required: e-mail code)") {
		t.Fatalf("approval card lacks the verification status: %s", chat)
	}
	_, err := h.svc.Approve(ctx, r.ID, approver)
	if KindOf(err) != KindConflict || !strings.Contains(SafeMessage(err), "not verified yet (e-mail code)") {
		t.Fatalf("approve before verification: %v", err)
	}
	if ev, ok := h.eventOf(r.ID, "request.decision_refused"); !ok || ev.Detail["why"] != "not_verified" {
		t.Fatalf("refusal not audited: %+v", ev)
	}
	if h.state(r.ID) != StatePendingApproval || h.dir.Calls.SetPassword != 0 {
		t.Fatal("an unverified approval changed something")
	}

	code := h.sendCode(m, r.ID, "alice@example.test")
	ans := h.typeCode(r.ID, " "+code+" ")
	if ans.Replace == nil || !strings.Contains(ans.Replace.Text, "passed (e-mail code)") {
		t.Fatalf("right code answered %+v", ans)
	}
	if !strings.Contains(h.chat.all(), "{Label:Verification Value:passed (e-mail code)") {
		t.Fatal("approval card not updated with the verification")
	}
	if ans := h.typeCode(r.ID, code); !strings.Contains(ans.Errors[FieldCode], "No code is waiting") {
		t.Fatalf("reused code answered %+v", ans)
	}
	if r, err = h.svc.Approve(ctx, r.ID, approver); err != nil || r.State != StateDone {
		t.Fatalf("approve after verification: %v", err)
	}
	note, err := h.tickets.Notes(ctx, r.Steps.TicketID)
	if err != nil || len(note) == 0 || !strings.Contains(note[0].Text, "Caller verified by unlockbot: e-mail code") {
		t.Fatalf("ticket note lacks the verification: %+v", note)
	}
	for _, typ := range []string{"verify.code_sent", "verify.passed"} {
		if ev, ok := h.eventOf(r.ID, typ); !ok || ev.Detail["method"] != "email_code" {
			t.Errorf("%s not audited: %+v", typ, ev)
		}
	}
	if ev, _ := h.eventOf(r.ID, "verify.code_sent"); ev.Detail["to"] != "a***@example.test" {
		t.Errorf("code_sent to %q", ev.Detail["to"])
	}
	assertNoCodeLeak(t, h, code)
}

func TestWrongCodeThreeTimesLocksTheRequest(t *testing.T) {
	h, m := verifyHarness(t, VerifyPolicy{Required: []VerifyMethod{VerifyEmailCode}})
	r := h.mustSubmit("alice", "")
	code := h.sendCode(m, r.ID, "alice@example.test")
	if ans := h.typeCode(r.ID, wrongCode(code)); !strings.Contains(ans.Errors[FieldCode], "2 tries left") {
		t.Fatalf("first wrong code: %+v", ans)
	}
	// A wrong answer spends the code: a guess needs a new one.
	if ans := h.typeCode(r.ID, code); !strings.Contains(ans.Errors[FieldCode], "No code is waiting") {
		t.Fatalf("code after a wrong try: %+v", ans)
	}
	code = h.sendCode(m, r.ID, "alice@example.test")
	if ans := h.typeCode(r.ID, wrongCode(code)); !strings.Contains(ans.Errors[FieldCode], "1 try left") {
		t.Fatalf("second wrong code: %+v", ans)
	}
	code = h.sendCode(m, r.ID, "alice@example.test")
	ans := h.typeCode(r.ID, wrongCode(code))
	if ans.Replace == nil || !strings.Contains(ans.Replace.Text, "locked") {
		t.Fatalf("third wrong code: %+v", ans)
	}
	got := h.request(r.ID)
	if got.State != StateFailed || got.Retryable || !got.Verify.Locked || got.Verify.Failures != 3 {
		t.Fatalf("after three wrong codes: %+v", got)
	}
	if !strings.Contains(h.chat.all(), "thread C-approvals: {Title:⚠️ Verification failed") {
		t.Fatalf("approval channel not alerted: %s", h.chat.all())
	}
	if _, err := h.svc.Approve(context.Background(), r.ID, approver); KindOf(err) != KindConflict {
		t.Fatalf("approve of a locked request: %v", err)
	}
	if _, err := h.svc.Retry(context.Background(), r.ID, tech); KindOf(err) != KindConflict {
		t.Fatalf("retry of a locked request: %v", err)
	}
	if a := h.svc.Click(context.Background(), Click{Action: ActionVerifyEmail, RequestID: r.ID, Actor: tech}); !strings.Contains(a.Tell, "locked after 3 failed") {
		t.Fatalf("send code to a locked request: %+v", a)
	}
	if ans := h.typeCode(r.ID, code); !strings.Contains(ans.Errors[FieldCode], "locked") {
		t.Fatalf("code on a locked request: %+v", ans)
	}
	if h.dir.Calls.SetPassword != 0 || h.dir.Calls.Unlock != 0 {
		t.Fatal("a locked request changed the directory")
	}
	if n := strings.Count(h.audit.String(), `"type":"verify.failed"`); n != 2 {
		t.Errorf("%d verify.failed, want 2", n)
	}
	if ev, ok := h.eventOf(r.ID, "verify.locked"); !ok || ev.Detail["failures"] != "3" || ev.Detail["why"] != "wrong_code" {
		t.Errorf("lock not audited: %+v", ev)
	}
	assertNoCodeLeak(t, h, code)
}

func TestExpiredCodeRefused(t *testing.T) {
	h, m := verifyHarness(t, VerifyPolicy{Required: []VerifyMethod{VerifyEmailCode}})
	r := h.mustSubmit("alice", "")
	code := h.sendCode(m, r.ID, "alice@example.test")
	h.clock.add(codeTTL + time.Second)
	if ans := h.typeCode(r.ID, code); !strings.Contains(ans.Errors[FieldCode], "expired") {
		t.Fatalf("expired code: %+v", ans)
	}
	got := h.request(r.ID)
	if got.Verify.Failures != 0 || got.Verify.Code != nil || len(got.Verify.Passed) != 0 {
		t.Fatalf("expired code left %+v", got.Verify)
	}
	if ev, ok := h.eventOf(r.ID, "verify.failed"); !ok || ev.Detail["why"] != "expired" {
		t.Fatalf("expiry not audited: %+v", ev)
	}
	// Just inside its lifetime, a fresh code works.
	code = h.sendCode(m, r.ID, "alice@example.test")
	h.clock.add(codeTTL)
	if ans := h.typeCode(r.ID, code); ans.Replace == nil {
		t.Fatalf("code at the end of its lifetime: %+v", ans)
	}
}

func TestOnlyTheRequesterVerifies(t *testing.T) {
	h, m := verifyHarness(t, VerifyPolicy{Required: []VerifyMethod{VerifyEmailCode}})
	r := h.mustSubmit("alice", "")
	if a := h.svc.Click(context.Background(), Click{Action: ActionVerifyEmail, RequestID: r.ID, Actor: approver}); !strings.Contains(a.Tell, "Only the technician who asked") || a.Form != nil {
		t.Fatalf("approver pressed send code: %+v", a)
	}
	h.drain()
	if len(m.sent) != 0 {
		t.Fatal("a code was sent for someone else's request")
	}
	code := h.sendCode(m, r.ID, "alice@example.test")
	ans := h.svc.SubmitForm(context.Background(), FormReply{Form: FormVerifyCode, Actor: approver, Context: r.ID, Values: FormValues{FieldCode: code}})
	if !strings.Contains(ans.Errors[FieldCode], "Only the technician who asked") {
		t.Fatalf("approver typed the code: %+v", ans)
	}
	if got := h.request(r.ID); len(got.Verify.Passed) != 0 || got.Verify.Code == nil {
		t.Fatalf("someone else's answer counted: %+v", got.Verify)
	}
}

func TestCodeGoesToTheConfiguredAttribute(t *testing.T) {
	h, m := verifyHarness(t, VerifyPolicy{Required: []VerifyMethod{VerifyEmailCode}, EmailAttribute: "otherMailbox"})
	r := h.mustSubmit("alice", "")
	h.sendCode(m, r.ID, "alice.home@example.test")
	if len(m.to("alice@example.test")) != 0 {
		t.Fatal("code sent to mail, not otherMailbox")
	}
	// No address in the directory: nothing sent, the technician is told.
	h.svc.orgs["acme"].Policy.Verify.EmailAttribute = "noSuchAttribute"
	h.svc.Click(context.Background(), Click{Action: ActionVerifyEmail, RequestID: r.ID, Actor: tech, Where: "D-tech"})
	h.drain()
	if !strings.Contains(h.chat.all(), "whisper test:U1@D-tech: {Title: Text:There is no e-mail address in the directory for alice") {
		t.Fatalf("missing address not told: %s", h.chat.all())
	}
	if len(m.sent) != 1 {
		t.Fatalf("%d mails", len(m.sent))
	}
}

func TestCodeMailFailureIsToldAndAudited(t *testing.T) {
	h, m := verifyHarness(t, VerifyPolicy{Required: []VerifyMethod{VerifyEmailCode}})
	m.fail = errors.New("relay refused")
	r := h.mustSubmit("alice", "")
	h.svc.Click(context.Background(), Click{Action: ActionVerifyEmail, RequestID: r.ID, Actor: tech, Where: "D-tech"})
	h.drain()
	if !strings.Contains(h.chat.all(), "The code could not be e-mailed") {
		t.Fatalf("failure not told: %s", h.chat.all())
	}
	if ev, ok := h.eventOf(r.ID, "verify.code_sent"); !ok || ev.Outcome != "failed" {
		t.Fatalf("failure not audited: %+v", ev)
	}
	// The directory not answering: told, nothing sent.
	m.fail = nil
	h.dir.FailNext("Lookup", errors.New("dc down"))
	h.svc.Click(context.Background(), Click{Action: ActionVerifyEmail, RequestID: r.ID, Actor: tech, Where: "D-tech"})
	h.drain()
	if !strings.Contains(h.chat.all(), "alice could not be read from the directory") || len(m.sent) != 0 {
		t.Fatalf("directory failure: %s", h.chat.all())
	}
}

func TestMethodNotOfferedIsRefused(t *testing.T) {
	h, _ := verifyHarness(t, VerifyPolicy{Required: []VerifyMethod{VerifyPersonalData}, PersonalData: []PersonalFact{{Label: "Employee ID", Attribute: "employeeID"}}})
	r := h.mustSubmit("alice", "")
	if a := h.svc.Click(context.Background(), Click{Action: ActionVerifyEmail, RequestID: r.ID, Actor: tech}); !strings.Contains(a.Tell, "Acme does not use e-mail code") {
		t.Fatalf("unoffered method: %+v", a)
	}
	if strings.Contains(h.chat.all(), string(ActionVerifyEmail)) {
		t.Fatal("a button for an unoffered method was shown")
	}
}

// On the in-memory store and on real Redis (every raw key), a pending
// code and the caller's directory values are never stored in clear.
func TestCodeNeverStoredInClear(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h, m := verifyHarnessOn(t, newStore(), VerifyPolicy{Required: []VerifyMethod{VerifyEmailCode}, Offered: []VerifyMethod{VerifyPersonalData}, PersonalData: factsPolicy.PersonalData})
		r := h.mustSubmit("alice", "")
		code := h.sendCode(m, r.ID, "alice@example.test")
		if ans := h.typeFacts(r.ID, "E-4711", "0000"); len(ans.Errors) == 0 {
			t.Fatalf("wrong facts: %+v", ans)
		}
		if !strings.Contains(h.storeDump(), r.ID) {
			t.Fatal("the dump does not hold the request: the scan proves nothing")
		}
		assertNoCodeLeak(t, h, code, "4711", "9876", "alice.home")
		code = h.sendCode(m, r.ID, "alice@example.test")
		if ans := h.typeCode(r.ID, code); ans.Replace == nil {
			t.Fatalf("right code: %+v", ans)
		}
		assertNoCodeLeak(t, h, code)
	})
}
