package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

var factsPolicy = VerifyPolicy{Required: []VerifyMethod{VerifyPersonalData}, PersonalData: []PersonalFact{
	{Label: "Employee ID", Attribute: "employeeID"}, {Label: "Mobile", Attribute: "mobile", LastDigits: 4}}}

func (h *harness) typeFacts(id string, vals ...string) FormAnswer {
	v := FormValues{}
	for i, s := range vals {
		v[factField(i)] = s
	}
	return h.svc.SubmitForm(context.Background(), FormReply{Form: FormVerifyFacts, Actor: tech, Context: id, Values: v})
}

// The form asks for the facts by label and never carries the expected
// values; answers match whatever their case, spacing or the mobile's
// formatting, and only together.
func TestPersonalDataMatches(t *testing.T) {
	h, _ := verifyHarness(t, factsPolicy)
	r := h.mustSubmit("alice", "")
	a := h.svc.Click(context.Background(), Click{Action: ActionVerifyFacts, RequestID: r.ID, Actor: tech})
	if a.Form == nil || a.Form.ID != FormVerifyFacts || len(a.Form.Fields) != 2 || a.Form.Fields[1].Label != "Mobile" {
		t.Fatalf("facts form: %+v", a)
	}
	if f := fmt.Sprintf("%+v", *a.Form); strings.Contains(f, "4711") || strings.Contains(f, "9876") {
		t.Fatalf("form shows the expected values: %s", f)
	}
	if ans := h.typeFacts(r.ID, "E-4711", "1234"); !strings.Contains(ans.Errors[factField(0)], "does not match. 2 tries left") {
		t.Fatalf("one wrong fact: %+v", ans)
	}
	if ans := h.typeFacts(r.ID, "e-4712", "9876"); !strings.Contains(ans.Errors[factField(0)], "1 try left") {
		t.Fatalf("other wrong fact: %+v", ans)
	}
	ans := h.typeFacts(r.ID, "  e-4711 ", "ends in 98 76")
	if ans.Replace == nil || !strings.Contains(ans.Replace.Text, "passed (personal data)") {
		t.Fatalf("right facts: %+v", ans)
	}
	if ev, ok := h.eventOf(r.ID, "verify.passed"); !ok || ev.Detail["method"] != "personal_data" {
		t.Fatalf("pass not audited: %+v", ev)
	}
	if _, err := h.svc.Approve(context.Background(), r.ID, approver); err != nil {
		t.Fatal(err)
	}
	assertNoCodeLeak(t, h, "4711", "9876")
}

func TestPersonalDataThreeWrongLocks(t *testing.T) {
	h, _ := verifyHarness(t, factsPolicy)
	r := h.mustSubmit("alice", "")
	h.typeFacts(r.ID, "x", "1")
	h.typeFacts(r.ID, "", "")
	if ans := h.typeFacts(r.ID, "E-4711", "987"); ans.Replace == nil || !strings.Contains(ans.Replace.Text, "locked") {
		t.Fatalf("third wrong answer (too few digits): %+v", ans)
	}
	if got := h.request(r.ID); got.State != StateFailed || !got.Verify.Locked {
		t.Fatalf("not locked: %+v", got)
	}
	if ev, ok := h.eventOf(r.ID, "verify.locked"); !ok || ev.Detail["why"] != "wrong_personal_data" {
		t.Fatalf("lock not audited: %+v", ev)
	}
}

// A fact the directory does not hold cannot be checked: the technician is
// told, and it costs the caller no try.
func TestPersonalDataMissingInDirectory(t *testing.T) {
	p := factsPolicy
	p.PersonalData = append(p.PersonalData, PersonalFact{Label: "Cost center", Attribute: "costCenter"})
	h, _ := verifyHarness(t, p)
	r := h.mustSubmit("alice", "")
	ans := h.typeFacts(r.ID, "E-4711", "9876", "CC1")
	if !strings.Contains(ans.Errors[factField(2)], "The directory holds no cost center for alice") {
		t.Fatalf("missing fact: %+v", ans)
	}
	if got := h.request(r.ID); got.Verify.Failures != 0 {
		t.Fatalf("a missing fact counted as a failure")
	}
}

// With no approval step, a request that needs verification waits in
// verifying, nothing changed, and runs as soon as the caller is verified;
// one never verified expires.
func TestVerificationWithoutApproval(t *testing.T) {
	h, _ := verifyHarness(t, factsPolicy)
	h.svc.orgs["acme"].Policy.RequireApproval = false
	r := h.mustSubmit("alice", "")
	if r.State != StateVerifying || h.dir.Calls.SetPassword != 0 || strings.Contains(h.chat.all(), "post ") {
		t.Fatalf("state %s, %d writes, chat %s", r.State, h.dir.Calls.SetPassword, h.chat.all())
	}
	if ans := h.typeFacts(r.ID, "E-4711", "9876"); ans.Replace == nil || !strings.Contains(ans.Replace.Text, "The reset is running") {
		t.Fatalf("right facts: %+v", ans)
	}
	h.drain()
	if got := h.request(r.ID); got.State != StateDone || h.dir.Calls.SetPassword != 1 {
		t.Fatalf("after verification: %s, %d writes", got.State, h.dir.Calls.SetPassword)
	}
	if ev, ok := h.eventOf(r.ID, "request.approved"); !ok || ev.Actor != "policy:verified" {
		t.Fatalf("approval by verification not audited: %+v", ev)
	}

	r2 := h.mustSubmit("bob", "")
	h.clock.add(2 * h.svc.orgs["acme"].Policy.ApprovalTTL)
	if _, err := h.svc.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.request(r2.ID); got.State != StateExpired || h.dir.Calls.SetPassword != 1 {
		t.Fatalf("unverified request: %s", got.State)
	}
	if !strings.Contains(h.chat.all(), "was not verified in time") {
		t.Fatal("technician not told of the expiry")
	}
	if ev, ok := h.eventOf(r2.ID, "request.expired"); !ok || ev.Detail["why"] != "not_verified" {
		t.Fatalf("expiry not audited: %+v", ev)
	}
}

// Three wrong answers with no approval step: the approval channel still
// hears of it, in a message of its own.
func TestLockWithoutApprovalAlertsTheChannel(t *testing.T) {
	h, _ := verifyHarness(t, factsPolicy)
	h.svc.orgs["acme"].Policy.RequireApproval = false
	r := h.mustSubmit("alice", "")
	for range 3 {
		h.typeFacts(r.ID, "no", "0000")
	}
	if !strings.Contains(h.chat.all(), "post C-approvals: {Title:⚠️ Verification failed") || h.state(r.ID) != StateFailed {
		t.Fatalf("lock not posted: %s", h.chat.all())
	}
}

// Offered only, not required: the technician may verify, the approver
// may approve either way.
func TestOfferedMethodIsOptional(t *testing.T) {
	h, _ := verifyHarness(t, VerifyPolicy{Offered: []VerifyMethod{VerifyPersonalData}, PersonalData: factsPolicy.PersonalData})
	r := h.mustSubmit("alice", "")
	if !strings.Contains(h.chat.all(), "You can verify the caller") || !strings.Contains(h.chat.all(), "Value:not done") {
		t.Fatalf("offered method not shown: %s", h.chat.all())
	}
	if _, err := h.svc.Approve(context.Background(), r.ID, approver); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyAnswersNeverPrint(t *testing.T) {
	v := FormValues{FieldCode: "123456", factField(0): "E-4711", FieldReason: "why"}
	if s := fmt.Sprint(v); strings.Contains(s, "123456") || strings.Contains(s, "4711") || !strings.Contains(s, "why") {
		t.Fatalf("printed %s", s)
	}
	if w := v.WithoutSecrets(); len(w) != 1 || w[FieldReason] != "why" {
		t.Fatalf("kept %v", w)
	}
}

func TestVerifyPolicyLists(t *testing.T) {
	p := VerifyPolicy{Required: []VerifyMethod{VerifyEmailCode}, Offered: []VerifyMethod{VerifyPersonalData, VerifyEmailCode},
		EmailAttribute: "otherMailbox", PersonalData: []PersonalFact{{Attribute: "mobile"}, {Attribute: "mobile"}, {Attribute: "employeeID"}}}
	if got := fmt.Sprint(p.Methods()); got != "[email_code personal_data]" {
		t.Errorf("methods %s", got)
	}
	if got := fmt.Sprint(p.Attributes()); got != "[otherMailbox mobile employeeID]" {
		t.Errorf("attributes %s", got)
	}
	if got := fmt.Sprint((VerifyPolicy{EmailAttribute: "mail"}).Attributes()); got != "[]" {
		t.Errorf("mail read as an extra attribute: %s", got)
	}
	if (VerifyPolicy{}).On() {
		t.Error("empty policy is on")
	}
	for in, want := range map[string]string{"a@x.test": "a***@x.test", "nope": "the address in the directory", "@x": "the address in the directory"} {
		if got := maskAddress(in); got != want {
			t.Errorf("mask %q = %q", in, got)
		}
	}
}

// Two methods required: the card lists what passed and what is still
// missing, and Approve waits for both. Deny never waits.
func TestTwoRequiredMethods(t *testing.T) {
	h, m := verifyHarness(t, VerifyPolicy{Required: []VerifyMethod{VerifyEmailCode, VerifyPersonalData}, PersonalData: factsPolicy.PersonalData})
	r := h.mustSubmit("alice", "")
	if ans := h.typeFacts(r.ID, "E-4711", "9876"); ans.Replace == nil || !strings.Contains(ans.Replace.Text, "still required") {
		t.Fatalf("first method: %+v", ans)
	}
	if !strings.Contains(h.chat.all(), "Value:pending (required: e-mail code); passed: personal data") {
		t.Fatalf("card: %s", h.chat.all())
	}
	if _, err := h.svc.Approve(context.Background(), r.ID, approver); KindOf(err) != KindConflict || !strings.Contains(SafeMessage(err), "(e-mail code)") {
		t.Fatalf("approve with one of two: %v", err)
	}
	if ans := h.typeCode(r.ID, h.sendCode(m, r.ID, "alice@example.test")); ans.Replace == nil || !strings.Contains(ans.Replace.Text, "passed (personal data, e-mail code)") {
		t.Fatalf("second method: %+v", ans)
	}
	r2 := h.mustSubmit("bob", "")
	if r2, err := h.svc.Deny(context.Background(), r2.ID, approver, "caller hung up"); err != nil || r2.State != StateDenied {
		t.Fatalf("deny of an unverified request: %v", err)
	}
}

// An approval by verification that cannot be audited is not acted on.
func TestVerifiedApprovalNeedsItsAuditRecord(t *testing.T) {
	h, _ := verifyHarness(t, factsPolicy)
	h.svc.orgs["acme"].Policy.RequireApproval = false
	r := h.mustSubmit("alice", "")
	h.failAudit = "request.approved"
	ans := h.typeFacts(r.ID, "E-4711", "9876")
	if !strings.Contains(ans.Errors[factField(0)], "audit trail could not be written") {
		t.Fatalf("answer %+v", ans)
	}
	h.drain()
	if got := h.request(r.ID); got.State != StateFailed || h.dir.Calls.SetPassword != 0 {
		t.Fatalf("state %s, %d writes", got.State, h.dir.Calls.SetPassword)
	}
}

// Without a mailer the e-mail code cannot go anywhere: the technician is
// told, nothing is stored.
func TestEmailCodeWithoutMailer(t *testing.T) {
	h, _ := verifyHarness(t, VerifyPolicy{Required: []VerifyMethod{VerifyEmailCode}})
	h.svc.mailer = nil
	r := h.mustSubmit("alice", "")
	h.svc.Click(context.Background(), Click{Action: ActionVerifyEmail, RequestID: r.ID, Actor: tech, Where: "D-tech"})
	h.drain()
	if !strings.Contains(h.chat.all(), "unlockbot has no mail server to send codes with") || h.request(r.ID).Verify.Code != nil {
		t.Fatalf("chat %s", h.chat.all())
	}
}
