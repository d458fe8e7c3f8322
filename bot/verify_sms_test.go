package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeSMS records the texts it is given as mails to the number (bot/sms/
// smstest is the strict fake of the wire; this one is the bot's side).
type fakeSMS struct{ fakeMailer }

func (f *fakeSMS) Send(ctx context.Context, to, body string) error {
	return f.fakeMailer.Send(ctx, Mail{To: []string{to}, Text: body})
}

func (f *fakeSMS) texts(n string) []string {
	var out []string
	for _, m := range f.to(n) {
		out = append(out, m.Text)
	}
	return out
}

// alice's mobile in verifyHarness, as E.164.
const aliceMobile = "+15550109876"

func smsHarness(t *testing.T) (*harness, *fakeSMS) {
	t.Helper()
	h, _ := verifyHarness(t, VerifyPolicy{Required: []VerifyMethod{VerifySMSCode}})
	f := &fakeSMS{}
	h.svc.sms = f
	return h, f
}

// textCode presses Send SMS code and returns the code texted.
func (h *harness) textCode(f *fakeSMS, id string) string {
	h.t.Helper()
	before := len(f.texts(aliceMobile))
	a := h.svc.Click(context.Background(), Click{Action: ActionVerifySMS, RequestID: id, Actor: tech, Where: "D-tech"})
	if a.Form == nil || a.Form.ID != FormVerifyCode || a.Form.Title != "SMS code" || !strings.Contains(a.Form.Fields[0].Hint, "texted") {
		h.t.Fatalf("send SMS code answered %+v, want the SMS code form", a)
	}
	h.drain()
	got := f.texts(aliceMobile)
	if len(got) != before+1 {
		h.t.Fatalf("%d texts to %s, want %d; chat: %s", len(got), aliceMobile, before+1, h.chat.all())
	}
	if !strings.HasPrefix(got[len(got)-1], "Your Acme verification code is ") || len(got[len(got)-1]) > 160 {
		h.t.Fatalf("text %q", got[len(got)-1])
	}
	return codeRE.FindString(got[len(got)-1])
}

func TestSMSCodeRightPassesReuseRefused(t *testing.T) {
	h, f := smsHarness(t)
	r := h.mustSubmit("alice", "")
	if !strings.Contains(h.chat.all(), "{ID:unlockbot.verify_sms Label:Send SMS code") {
		t.Fatalf("no Send SMS code button: %s", h.chat.all())
	}
	code := h.textCode(f, r.ID)
	if ev, ok := h.eventOf(r.ID, "verify.code_sent"); !ok || ev.Detail["to"] != "***76" || ev.Detail["method"] != "sms_code" || ev.Outcome != "ok" {
		t.Fatalf("code_sent: %+v", ev)
	}
	if ans := h.typeCode(r.ID, code); ans.Replace == nil || !strings.Contains(ans.Replace.Text, "passed (SMS code)") {
		t.Fatalf("right code answered %+v", ans)
	}
	if ans := h.typeCode(r.ID, code); !strings.Contains(ans.Errors[FieldCode], "No code is waiting") {
		t.Fatalf("reused code answered %+v", ans)
	}
	if ev, ok := h.eventOf(r.ID, "verify.passed"); !ok || ev.Detail["method"] != "sms_code" {
		t.Fatalf("passed: %+v", ev)
	}
	if r, err := h.svc.Approve(context.Background(), r.ID, approver); err != nil || r.State != StateDone {
		t.Fatalf("approve after the SMS code: %v", err)
	}
	assertNoCodeLeak(t, h, code, aliceMobile, "555 010 9876", "0109876")
}

func TestSMSCodeWrongThreeTimesLocksExpiredRefused(t *testing.T) {
	h, f := smsHarness(t)
	r := h.mustSubmit("alice", "")
	code := h.textCode(f, r.ID)
	h.clock.add(codeTTL + time.Second)
	if ans := h.typeCode(r.ID, code); !strings.Contains(ans.Errors[FieldCode], "expired") {
		t.Fatalf("expired code: %+v", ans)
	}
	if ev, _ := h.eventOf(r.ID, "verify.failed"); ev.Detail["why"] != "expired" || ev.Detail["method"] != "sms_code" {
		t.Fatalf("expiry audited as %+v", ev)
	}
	for i, want := range []string{"2 tries left", "1 try left"} {
		code = h.textCode(f, r.ID)
		if ans := h.typeCode(r.ID, wrongCode(code)); !strings.Contains(ans.Errors[FieldCode], want) {
			t.Fatalf("wrong code %d: %+v", i+1, ans)
		}
	}
	code = h.textCode(f, r.ID)
	if ans := h.typeCode(r.ID, wrongCode(code)); ans.Replace == nil || !strings.Contains(ans.Replace.Text, "locked") {
		t.Fatalf("third wrong code: %+v", ans)
	}
	if got := h.request(r.ID); got.State != StateFailed || got.Retryable || !got.Verify.Locked {
		t.Fatalf("after three wrong codes: %+v", got)
	}
	if ev, _ := h.eventOf(r.ID, "verify.locked"); ev.Detail["method"] != "sms_code" || ev.Detail["failures"] != "3" {
		t.Fatalf("lock audited as %+v", ev)
	}
	if h.dir.Calls.SetPassword != 0 || h.dir.Calls.Unlock != 0 {
		t.Fatal("a locked request changed the directory")
	}
	assertNoCodeLeak(t, h, code, aliceMobile)
}

// The three attempts are shared: a wrong e-mail code and a wrong SMS code
// count together.
func TestSMSAndEmailFailuresCountTogether(t *testing.T) {
	h, m := verifyHarness(t, VerifyPolicy{Required: []VerifyMethod{VerifySMSCode}, Offered: []VerifyMethod{VerifyEmailCode}})
	f := &fakeSMS{}
	h.svc.sms = f
	r := h.mustSubmit("alice", "")
	if ans := h.typeCode(r.ID, "123456"); !strings.Contains(ans.Errors[FieldCode], "No code is waiting") {
		t.Fatalf("no code sent yet: %+v", ans)
	}
	code := h.sendCode(m, r.ID, "alice@example.test")
	h.typeCode(r.ID, wrongCode(code))
	code = h.textCode(f, r.ID)
	if ans := h.typeCode(r.ID, wrongCode(code)); !strings.Contains(ans.Errors[FieldCode], "1 try left") {
		t.Fatalf("second wrong code, by SMS: %+v", ans)
	}
}

// An SMS-only org: a code typed with none waiting says so, and only to
// the requester.
func TestSMSOnlyOrgWithNoCodeWaiting(t *testing.T) {
	h, _ := smsHarness(t)
	r := h.mustSubmit("alice", "")
	if ans := h.typeCode(r.ID, "123456"); !strings.Contains(ans.Errors[FieldCode], "No code is waiting") {
		t.Fatalf("no code sent yet: %+v", ans)
	}
	ans := h.svc.SubmitForm(context.Background(), FormReply{Form: FormVerifyCode, Actor: approver, Context: r.ID, Values: FormValues{FieldCode: "1"}})
	if !strings.Contains(ans.Errors[FieldCode], "Only the technician who asked") {
		t.Fatalf("approver: %+v", ans)
	}
}

func TestSMSCodeRefusedWithoutAUsableNumber(t *testing.T) {
	h, f := smsHarness(t)
	r := h.mustSubmit("alice", "")
	press := func() {
		h.svc.Click(context.Background(), Click{Action: ActionVerifySMS, RequestID: r.ID, Actor: tech, Where: "D-tech"})
		h.drain()
	}
	alice, _ := h.dir.User("alice")
	for mobile, want := range map[string]string{
		"555 010 9876": "The mobile number in the directory for alice has no country code (+…), so no code was sent",
		"":             "There is no mobile number in the directory for alice",
	} {
		alice.Attributes["mobile"] = mobile
		h.dir.Put(alice)
		press()
		if !strings.Contains(h.chat.all(), "whisper test:U1@D-tech: {Title: Text:"+want) {
			t.Fatalf("mobile %q: %s", mobile, h.chat.all())
		}
	}
	// The configured attribute, not mobile.
	alice.Attributes["pager"] = "0049 170 1234567"
	h.dir.Put(alice)
	h.svc.orgs["acme"].Policy.Verify.SMSAttribute = "pager"
	press()
	if len(f.texts("+491701234567")) != 1 || len(f.sent) != 1 {
		t.Fatalf("texts %v", f.sent)
	}
	h.svc.sms = nil
	press()
	if !strings.Contains(h.chat.all(), "unlockbot has no SMS provider") {
		t.Fatalf("no provider: %s", h.chat.all())
	}
	if got := h.request(r.ID); got.Verify.Failures != 0 {
		t.Fatalf("a refusal counted as a failure: %+v", got.Verify)
	}
}

func TestSMSProviderFailureIsToldAndAudited(t *testing.T) {
	h, f := smsHarness(t)
	f.fail = errors.New("sms: the provider refused the message (HTTP 429, code 20429)")
	r := h.mustSubmit("alice", "")
	h.svc.Click(context.Background(), Click{Action: ActionVerifySMS, RequestID: r.ID, Actor: tech, Where: "D-tech"})
	h.drain()
	if !strings.Contains(h.chat.all(), "The code could not be texted. Try again in a minute") {
		t.Fatalf("failure not told: %s", h.chat.all())
	}
	if ev, ok := h.eventOf(r.ID, "verify.code_sent"); !ok || ev.Outcome != "failed" || ev.Detail["to"] != "***76" {
		t.Fatalf("failure audited as %+v", ev)
	}
}

func TestE164(t *testing.T) {
	for in, want := range map[string]string{
		"+1 555 010 9876":      "+15550109876",
		" +44 (0)20-7946.0958": "+442079460958",
		"+49 (170) 1234567":    "+491701234567",
		"0049 170/1234567":     "+491701234567",
		"+123456789012345":     "+123456789012345",
		"+12345678":            "+12345678",
		"+1234567":             "",
		"+1234567890123456":    "",
		"+0123456789":          "",
		"555 010 9876":         "",
		"+1 555 CALL NOW":      "",
		"":                     "",
	} {
		got, ok := E164(in)
		want = strings.ReplaceAll(want, " ", "")
		if got != want || ok != (want != "") {
			t.Errorf("E164(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	if maskPhone("+15550109876") != "***76" || maskPhone("7") != "***" {
		t.Error("maskPhone")
	}
}

func TestSMSAttributeIsRead(t *testing.T) {
	p := VerifyPolicy{Required: []VerifyMethod{VerifySMSCode}}
	if got := p.Attributes(); len(got) != 1 || got[0] != "mobile" {
		t.Fatalf("attributes %v", got)
	}
	p.SMSAttribute = "pager"
	if got := p.Attributes(); len(got) != 1 || got[0] != "pager" {
		t.Fatalf("attributes %v", got)
	}
	if got := (VerifyPolicy{Offered: []VerifyMethod{VerifyEmailCode}}).Attributes(); len(got) != 0 {
		t.Fatalf("attributes without sms %v", got)
	}
}
