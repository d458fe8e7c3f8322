package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/bot/sms/smstest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// TestSMSCodeAndChatConfirmInSlack: in Slack against Samba AD, an org that
// requires an SMS code texts it (through the strict Twilio-shaped fake) to
// the directory's mobile as E.164; a wrong code is refused, the right one
// passes, its reuse is refused. The chat confirmation DMs the owner found
// by the directory's mail; the owner's No stops the request with nothing
// written to the account and the approval channel alerted. Neither the code
// nor the number is in any log, audit record or chat call.
func TestSMSCodeAndChatConfirmInSlack(t *testing.T) {
	lab := ldaptest.AD(t)
	fake := smstest.Start(t)
	t.Setenv("E2E_SMS_TOKEN", smstest.AuthToken)
	head := `sms: { kind: twilio, base_url: "` + fake.URL + `", account_sid: ` + smstest.AccountSID + `, auth_token_env: E2E_SMS_TOKEN, from: "` + smstest.From + `", timeout: 10s }`
	tail := `    policy: { verify: { required: [sms_code, chat_confirm] } }
`
	e := newE2EWith(t, lab, head, tail)
	name, dn := newLabUser(t, lab)
	setAttrs(t, lab, dn, map[string]string{"mail": name + "@lab.example.test", "mobile": "+1 (555) 010-4242"})
	lab.Lock(t, dn)
	e.fake.SetEmail(name+"@lab.example.test", "UOWNER")

	before := len(e.fake.Calls("chat.postMessage"))
	if code, body := e.post("/slack/interactions", requestForm(name, "", e.trigger())); code != 200 || !strings.Contains(body, "clear") {
		t.Fatalf("submission: %d %s", code, body)
	}
	id := requestIDIn(t, e.fake.Calls("chat.postMessage")[before].Body)

	e.click(uTech, "DTECH", "unlockbot.verify_sms", id)
	e.settle()
	msgs := fake.Messages()
	if len(msgs) != 1 || msgs[0].To != "+15550104242" || msgs[0].From != smstest.From {
		t.Fatalf("texts %+v, refused %v", msgs, fake.Refused())
	}
	code := regexp.MustCompile(`code is (\d{6})`).FindStringSubmatch(msgs[0].Body)
	if code == nil {
		t.Fatalf("no code in %q", msgs[0].Body)
	}
	wrong := "000000"
	if code[1] == wrong {
		wrong = "111111"
	}
	if _, body := e.post("/slack/interactions", verifyCodeForm(id, wrong)); !strings.Contains(body, "2 tries left") {
		t.Fatalf("wrong code: %s", body)
	}
	e.click(uTech, "DTECH", "unlockbot.verify_sms", id)
	e.settle()
	code = regexp.MustCompile(`code is (\d{6})`).FindStringSubmatch(fake.Messages()[1].Body)
	if _, body := e.post("/slack/interactions", verifyCodeForm(id, code[1])); !strings.Contains(body, "Caller verified") {
		t.Fatalf("right code: %s", body)
	}
	// A changed payload: the adapter drops a redelivered identical one.
	if _, body := e.post("/slack/interactions", verifyCodeForm(id, " "+code[1])); !strings.Contains(body, "No code is waiting") {
		t.Fatalf("reused code: %s", body)
	}

	version := lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd)
	e.click(uTech, "DTECH", "unlockbot.verify_confirm", id)
	e.settle()
	var asked bool
	for _, c := range e.fake.Calls("chat.postMessage") {
		asked = asked || (c.Str("channel") == "UOWNER" && strings.Contains(c.Body, "unlockbot.confirm_no"))
	}
	if !asked {
		t.Fatal("the owner was not asked in chat")
	}
	e.click(uTech, "DTECH", "unlockbot.confirm_yes", id) // not the owner: refused
	e.click("UOWNER", "DOWNER", "unlockbot.confirm_no", id)
	e.settle()
	e.click(uLead, chApprove, "unlockbot.approve", id)
	e.settle()
	if !lab.Locked(t, dn) || lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd) != version {
		t.Fatal("a request the owner denied changed the account")
	}
	var alerted bool
	for _, c := range e.fake.Calls("chat.postMessage") {
		alerted = alerted || (c.Str("channel") == chApprove && strings.Contains(c.Body, "The owner did not ask for this"))
	}
	if !alerted {
		t.Fatal("the approval channel was not alerted")
	}
	seen := e.verifyTrail(id)
	if seen["verify.code_sent"] != "ok" || seen["verify.failed"] != "failed" || seen["verify.passed"] != "ok" ||
		seen["verify.confirm_sent"] != "ok" || seen["verify.confirm_denied"] != "refused" {
		t.Fatalf("verification trail: %v", seen)
	}
	e.assertNowhere(code[1], "+15550104242", "010-4242", "5550104242", smstest.AuthToken)
}
