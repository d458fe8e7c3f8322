package main

import (
	"encoding/json"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/bot/mailer/smtptest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// uPerson is a locked-out employee on Slack: no role in any org.
const uPerson = "UPERSON"

// selfServiceE2E is the Slack setup with self-service on in org lab (no
// approval, codes to the directory's mail), the strict SMTP server
// capturing the codes, and admin uAdmin.
func selfServiceE2E(t *testing.T, lab *ldaptest.Server, slackMore string) (*e2e, *smtptest.Server) {
	t.Helper()
	smtp := smtptest.Start(t, smtptest.Options{Users: map[string]string{"unlockbot": "smtp-e2e-Pa55"}})
	t.Setenv("E2E_SMTP_PASSWORD", "smtp-e2e-Pa55")
	t.Setenv("E2E_BIND_PASSWORD", lab.BotPassword)
	head := `smtp: { addr: "` + smtp.Addr + `", ca_file: "` + smtp.CAFile + `", from: "unlockbot <it@lab.example.test>", username: unlockbot, password_env: E2E_SMTP_PASSWORD, timeout: 10s }`
	orgs := strings.Replace(labOrgYAML(lab, "E2E_BIND_PASSWORD"), "approvers: [SLEADS] }", "approvers: [SLEADS], admins: ["+uAdmin+"]"+slackMore+" }", 1) +
		"    policy: { verify: { offered: [email_code] }, self_service: { enabled: true, require_approval: \"false\" } }\n"
	return newE2EOrgs(t, head, orgs, t.TempDir()+"/audit.jsonl", ""), smtp
}

// lockedPerson is a lab user locked out for real, with mail name+mail,
// whose Slack profile (uPerson's) holds name+profile.
func lockedPerson(t *testing.T, e *e2e, lab *ldaptest.Server, mail, profile string) (name, dn string) {
	t.Helper()
	name, dn = newLabUser(t, lab)
	setAttrs(t, lab, dn, map[string]string{"mail": name + mail})
	lab.Lock(t, dn)
	e.fake.SetEmail(name+profile, uPerson)
	return name, dn
}

// command sends a slash command from who in the help channel and returns
// the ephemeral answer.
func (e *e2e) command(who, cmd, text string) string {
	e.t.Helper()
	code, body := e.post("/slack/commands", url.Values{"command": {cmd}, "text": {text}, "user_id": {who}, "user_name": {strings.ToLower(who)},
		"channel_id": {chHelp}, "team_id": {slacktest.DefaultTeamID}, "api_app_id": {slacktest.DefaultAppID}, "trigger_id": {e.trigger()}})
	if code != 200 {
		e.t.Fatalf("%s %s: %d %s", cmd, text, code, body)
	}
	return body
}

// lastDM is the body of the last message posted to who holding action
// ("" when none).
func (e *e2e) lastDM(who, action string) string {
	var dm string
	for _, c := range e.fake.Calls("chat.postMessage") {
		if c.Str("channel") == who && strings.Contains(c.Body, action) {
			dm = c.Body
		}
	}
	return dm
}

// buttonValue is the value of the first button action in a block-kit body.
func buttonValue(t *testing.T, body, action string) string {
	t.Helper()
	var msg struct {
		Blocks []struct {
			Elements []struct {
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
			} `json:"elements"`
		} `json:"blocks"`
	}
	json.Unmarshal([]byte(body), &msg)
	for _, b := range msg.Blocks {
		for _, el := range b.Elements {
			if el.ActionID == action {
				return el.Value
			}
		}
	}
	t.Fatalf("no %s button in %s", action, body)
	return ""
}

// codeFrom is the six-digit code of a verification mail.
func codeFrom(t *testing.T, m smtptest.Message) string {
	t.Helper()
	c := regexp.MustCompile(`verification code is (\d{6})`).FindStringSubmatch(string(m.Data))
	if c == nil {
		t.Fatalf("no code in %s", m.Data)
	}
	return c[1]
}

// selfRecords are the trail's records with detail.origin self_service.
func selfRecords(t *testing.T, path string) []audit.Record {
	t.Helper()
	var out []audit.Record
	for _, r := range trailOf(t, path) {
		if r.Detail["origin"] == "self_service" {
			out = append(out, r)
		}
	}
	return out
}

// TestSlackSelfServiceUnlocksOwnAccount is self-service end to end: a user
// locked out for real in Samba, whose Slack profile e-mail is their UPN,
// runs /unlock; the code goes to the directory's mail (not the profile's
// address); typed back, it unlocks the account in AD (lockoutTime written
// once, the password untouched); every record says origin self_service;
// the code is in no log, audit record or Slack call.
func TestSlackSelfServiceUnlocksOwnAccount(t *testing.T) {
	lab := ldaptest.AD(t)
	e, smtp := selfServiceE2E(t, lab, "")
	name, dn := newLabUser(t, lab)
	mail := name + "@lab.example.test"
	setAttrs(t, lab, dn, map[string]string{"mail": mail})
	lab.Lock(t, dn)
	e.fake.SetEmail(name+"@example.test", uPerson)
	lockouts, pwd := lab.MetaVersion(t, dn, ldaptest.AttLockoutTime), lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd)

	if body := e.command(uPerson, "/unlock", ""); !strings.Contains(body, "Check your direct messages") {
		t.Fatalf("/unlock by the person: %s", body)
	}
	dm := e.lastDM(uPerson, "unlockbot.verify_email")
	if dm == "" {
		t.Fatalf("no Send e-mail code in the person's DM: %+v", e.fake.Calls("chat.postMessage"))
	}
	id := buttonValue(t, dm, "unlockbot.verify_email")
	e.click(uPerson, "DPERSON", "unlockbot.verify_email", id)
	e.settle()
	m := smtp.Wait(t, 1, 10*time.Second)[0]
	if strings.Join(m.To, ",") != mail {
		t.Fatalf("the code went to %v, want the directory's %s", m.To, mail)
	}
	code := codeFrom(t, m)
	if !lab.Locked(t, dn) {
		t.Fatal("unlocked before the code was typed")
	}
	form := codeForm(uPerson, id+"|DPERSON", code)
	if _, body := e.post("/slack/interactions", form); strings.Contains(body, "errors") {
		t.Fatalf("the right code was refused: %s", body)
	}
	e.settle()
	if lab.Locked(t, dn) {
		t.Fatal("the right code did not unlock the account")
	}
	if l, p := lab.MetaVersion(t, dn, ldaptest.AttLockoutTime), lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd); l != lockouts+1 || p != pwd {
		t.Fatalf("lockoutTime version %d → %d (want +1), unicodePwd %d → %d (want unchanged)", lockouts, l, pwd, p)
	}
	if err := lab.Bind(dn, lab.UserPassword); err != nil {
		t.Fatalf("the person's own password no longer binds: %v", err)
	}
	types := map[string]bool{}
	for _, r := range trailOf(t, e.audit) {
		if r.RequestID != id {
			continue
		}
		if r.Detail["origin"] != "self_service" {
			t.Errorf("%s lacks origin self_service: %v", r.Type, r.Detail)
		}
		types[r.Type] = true
	}
	for _, want := range []string{"request.submitted", "verify.code_sent", "verify.passed", "unlock.unlocked", "unlock.completed"} {
		if !types[want] {
			t.Errorf("no %s with origin self_service (have %v)", want, types)
		}
	}
	trail, _ := os.ReadFile(e.audit)
	var chat strings.Builder
	for _, c := range e.fake.Calls() {
		chat.WriteString(c.Body)
	}
	for where, text := range map[string]string{"log": e.logs.String(), "audit": string(trail), "chat": chat.String()} {
		if text == "" || strings.Contains(text, code) {
			t.Errorf("%s is empty or holds the code", where)
		}
	}
}

// codeForm is the code form's submission by who; meta is the view's
// private_metadata (request id | channel).
func codeForm(who, meta, code string) url.Values {
	return jsonPayload(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": who, "name": strings.ToLower(who)}, "trigger_id": "T-code",
		"view": map[string]any{"id": "V2", "type": "modal", "callback_id": "unlockbot.verify_code", "private_metadata": meta,
			"state": map[string]any{"values": map[string]any{"verify_code": map[string]any{"verify_code": map[string]any{"type": "plain_text_input", "value": code}}}}},
	})
}

// TestSlackSelfServiceRefusesIntentionalLock: a person whose account is in
// the lab's Intentional Lock group cannot unlock it themselves: a plain
// sentence, no code sent, AD untouched, and the refusal audited with origin
// self_service. Out of the group, the same /unlock goes ahead.
func TestSlackSelfServiceRefusesIntentionalLock(t *testing.T) {
	lab := ldaptest.AD(t)
	e, smtp := selfServiceE2E(t, lab, "")
	_, dn := lockedPerson(t, e, lab, "@lab.example.test", "@example.test")
	lab.SetMember(t, lab.IntentionalLockDN, dn, true)
	t.Cleanup(func() { lab.SetMember(t, lab.IntentionalLockDN, dn, false) })
	lockouts, pwd := lab.MetaVersion(t, dn, ldaptest.AttLockoutTime), lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd)

	if body := e.command(uPerson, "/unlock", ""); !strings.Contains(body, "locked on purpose") {
		t.Fatalf("/unlock of a locked-on-purpose account: %s", body)
	}
	e.settle()
	for _, c := range e.fake.Calls("chat.postMessage") {
		if strings.Contains(c.Body, "unlockbot.verify_email") {
			t.Fatalf("a code was offered: %s", c.Body)
		}
	}
	if n := len(smtp.Messages()); n != 0 {
		t.Fatalf("%d mails sent", n)
	}
	if l, p := lab.MetaVersion(t, dn, ldaptest.AttLockoutTime), lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd); l != lockouts || p != pwd || !lab.Locked(t, dn) {
		t.Fatalf("the refusal changed AD: lockoutTime version %d → %d, unicodePwd %d → %d", lockouts, l, pwd, p)
	}
	var refused bool
	for _, r := range selfRecords(t, e.audit) {
		refused = refused || (r.Type == "request.refused" && r.TargetDN == dn && strings.Contains(r.Detail["message"], "locked on purpose"))
	}
	if !refused {
		t.Fatalf("no request.refused with origin self_service for %s:\n%+v", dn, selfRecords(t, e.audit))
	}

	lab.SetMember(t, lab.IntentionalLockDN, dn, false)
	if body := e.command(uPerson, "/unlock", ""); !strings.Contains(body, "Check your direct messages") {
		t.Fatalf("/unlock out of the group: %s", body)
	}
}

// TestSlackSelfServiceByMail: a person whose Slack profile holds their
// directory mail, not their UPN, is mapped to their account (through the
// type-ahead and metrics wrappers to identity/ldap's lookup by mail), and
// the request is theirs.
func TestSlackSelfServiceByMail(t *testing.T) {
	lab := ldaptest.AD(t)
	e, _ := selfServiceE2E(t, lab, "")
	_, dn := lockedPerson(t, e, lab, ".mail@lab.example.test", ".mail@lab.example.test")
	if body := e.command(uPerson, "/unlock", ""); !strings.Contains(body, "Check your direct messages") {
		t.Fatalf("/unlock by mail: %s", body)
	}
	var submitted bool
	for _, r := range selfRecords(t, e.audit) {
		submitted = submitted || (r.Type == "request.submitted" && r.TargetDN == dn)
	}
	if !submitted {
		t.Fatal("no self-service request for the account the mail names")
	}
}
