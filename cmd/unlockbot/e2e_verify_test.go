package main

import (
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/mailer/smtptest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// verifyCodeForm is the code form's submission, as Slack posts it.
func verifyCodeForm(id, code string) url.Values {
	return jsonPayload(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": uTech, "name": "tess"}, "trigger_id": "T-code",
		"view": map[string]any{"id": "V2", "type": "modal", "callback_id": "unlockbot.verify_code", "private_metadata": id + "|DTECH",
			"state": map[string]any{"values": map[string]any{"verify_code": map[string]any{"verify_code": map[string]any{"type": "plain_text_input", "value": code}}}}},
	})
}

// TestEmailCodeVerifiesTheCallerInSlack: in Slack against Samba AD, an org
// that requires an e-mail code refuses the approval until the technician
// typed the code mailed (over STARTTLS with AUTH, by the strict SMTP
// server) to the account's otherMailbox; a wrong code is refused; the
// right one lets the approval run the reset; the code is in no log, no
// audit record and no chat call.
func TestEmailCodeVerifiesTheCallerInSlack(t *testing.T) {
	lab := ldaptest.AD(t)
	smtp := smtptest.Start(t, smtptest.Options{Users: map[string]string{"unlockbot": "smtp-e2e-Pa55"}})
	t.Setenv("E2E_SMTP_PASSWORD", "smtp-e2e-Pa55")
	head := `smtp: { addr: "` + smtp.Addr + `", ca_file: "` + smtp.CAFile + `", from: "unlockbot <it@lab.example.test>", username: unlockbot, password_env: E2E_SMTP_PASSWORD, timeout: 10s }`
	tail := `    policy: { verify: { required: [email_code], email_attribute: otherMailbox } }
`
	e := newE2EWith(t, lab, head, tail)
	name, dn := newLabUser(t, lab)
	home := name + "@home.example.test"
	setAttrs(t, lab, dn, map[string]string{"mail": name + "@lab.example.test", "otherMailbox": home})
	lab.Lock(t, dn)

	before := len(e.fake.Calls("chat.postMessage"))
	if code, body := e.post("/slack/interactions", requestForm(name, "", e.trigger())); code != 200 || !strings.Contains(body, "clear") {
		t.Fatalf("submission: %d %s", code, body)
	}
	posts := e.fake.Calls("chat.postMessage")[before:]
	id := requestIDIn(t, posts[0].Body)
	if !strings.Contains(posts[0].Body, "pending (required: e-mail code)") {
		t.Fatalf("approval card: %s", posts[0].Body)
	}
	var offered bool
	for _, p := range posts {
		offered = offered || (p.Str("channel") == uTech && strings.Contains(p.Body, "unlockbot.verify_email"))
	}
	if !offered {
		t.Fatal("the technician got no Send e-mail code button")
	}

	// Approve first: refused, the account stays locked.
	e.click(uLead, chApprove, "unlockbot.approve", id)
	e.settle()
	if !lab.Locked(t, dn) {
		t.Fatal("an unverified request was carried out")
	}

	e.openForm("unlockbot.verify_email", id, "unlockbot.verify_code")
	mails := smtp.Wait(t, 1, 10*time.Second)
	m := mails[len(mails)-1]
	if strings.Join(m.To, ",") != home || !m.TLS || m.AuthUser != "unlockbot" {
		t.Fatalf("code mail: to %v, tls %v, auth %q", m.To, m.TLS, m.AuthUser)
	}
	code := regexp.MustCompile(`verification code is (\d{6})`).FindStringSubmatch(string(m.Data))
	if code == nil {
		t.Fatalf("no code in %s", m.Data)
	}
	wrong := "000000"
	if code[1] == wrong {
		wrong = "111111"
	}
	if _, body := e.post("/slack/interactions", verifyCodeForm(id, wrong)); !strings.Contains(body, "2 tries left") {
		t.Fatalf("wrong code: %s", body)
	}
	// A wrong answer spends the code: send another.
	e.click(uTech, "DTECH", "unlockbot.verify_email", id)
	e.settle()
	mails = smtp.Wait(t, 2, 10*time.Second)
	code = regexp.MustCompile(`verification code is (\d{6})`).FindStringSubmatch(string(mails[len(mails)-1].Data))
	if _, body := e.post("/slack/interactions", verifyCodeForm(id, code[1])); !strings.Contains(body, "Caller verified") {
		t.Fatalf("right code: %s", body)
	}
	e.click(uLead, chApprove, "unlockbot.approve", id)
	e.settle()
	if lab.Locked(t, dn) {
		t.Fatal("verified and approved, yet still locked")
	}
	if v := smtp.Violations(); len(v) > 0 {
		t.Fatalf("SMTP protocol errors: %v", v)
	}
	seen := e.verifyTrail(id)
	if seen["verify.code_sent"] != "ok" || seen["verify.failed"] != "failed" || seen["verify.passed"] != "ok" {
		t.Fatalf("verification trail: %v", seen)
	}
	e.assertNowhere(code[1], home)
}

// openForm presses the technician's verify button action on request id
// and fails unless the form callback opened.
func (e *e2e) openForm(action, id, callback string) {
	e.t.Helper()
	e.click(uTech, "DTECH", action, id)
	e.settle()
	for _, c := range e.fake.Calls("views.open") {
		if strings.Contains(c.Body, callback) {
			return
		}
	}
	e.t.Fatalf("pressing %s did not open %s", action, callback)
}

// verifyTrail is the outcome of each verify.* event of request id.
func (e *e2e) verifyTrail(id string) map[string]string { return verifyOutcomes(e.t, e.audit, id) }

// verifyOutcomes is the outcome of each verify.* event of request id in
// the audit trail at path.
func verifyOutcomes(t testing.TB, path, id string) map[string]string {
	t.Helper()
	seen := map[string]string{}
	for _, r := range trailOf(t, path) {
		if r.RequestID == id && strings.HasPrefix(r.Type, "verify.") {
			seen[r.Type] = r.Outcome
		}
	}
	return seen
}

// assertNowhere fails if any of secrets is in the log, the audit trail or
// a Slack call.
func (e *e2e) assertNowhere(secrets ...string) {
	e.t.Helper()
	trail, _ := os.ReadFile(e.audit)
	var chat strings.Builder
	for _, c := range e.fake.Calls() {
		chat.WriteString(c.Body)
	}
	assertNotIn(e.t, map[string]string{"log": e.logs.String(), "audit": string(trail), "chat": chat.String()}, secrets...)
}

// assertNotIn fails if any of secrets is in one of the texts, by where it
// was read; an empty text fails too (the scan would prove nothing).
func assertNotIn(t testing.TB, texts map[string]string, secrets ...string) {
	t.Helper()
	for where, text := range texts {
		if text == "" {
			t.Fatalf("%s is empty: the scan proves nothing", where)
		}
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds %q", where, s)
			}
		}
	}
}
