package main

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/mailer/smtptest"
	"github.com/unlockbot/unlockbot/identity/entra/entratest"
)

const bossID = "3a4b5c6d-7e8f-4a9b-8c0d-1e2f3a4b5c6d"

// verifyFactsForm is the personal-data form's submission, as Slack posts it.
func verifyFactsForm(id string, facts ...string) url.Values {
	values := map[string]any{}
	for i, f := range facts {
		field := "verify_fact_" + string(rune('0'+i))
		values[field] = map[string]any{field: map[string]any{"type": "plain_text_input", "value": f}}
	}
	return jsonPayload(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": uTech, "name": "tess"}, "trigger_id": "T-facts",
		"view": map[string]any{"id": "V3", "type": "modal", "callback_id": "unlockbot.verify_facts", "private_metadata": id + "|DTECH",
			"state": map[string]any{"values": values}},
	})
}

// TestPersonalDataAndManagerNoticeOnEntraID: an Entra ID org whose verify
// block names AD's attributes (employeeID, mobile) checks the caller
// against Graph's employeeId and mobilePhone, read just now from the
// strict fake tenant: approval is refused until the facts match, wrong
// facts are refused, right ones let the reset run; then the owner and the
// manager Graph names (List manager) are mailed. The facts are in
// no log, audit record or chat call.
func TestPersonalDataAndManagerNoticeOnEntraID(t *testing.T) {
	g := newGraph(t)
	g.AddUser(entratest.User{ID: erinID, UPN: "erin@contoso.test", Mail: "erin@contoso.test", MailNickname: "erin",
		DisplayName: "Erin Cloud", Enabled: true, Manager: bossID,
		Props: map[string]any{"employeeId": "E-58213", "mobilePhone": "+1 425 555 0187"}})
	g.AddUser(entratest.User{ID: bossID, UPN: "boss@contoso.test", Mail: "boss@contoso.test", MailNickname: "boss",
		DisplayName: "Bo Boss", Enabled: true})
	smtp := smtptest.Start(t, smtptest.Options{Users: map[string]string{"unlockbot": "smtp-e2e-Pa55"}})
	t.Setenv("E2E_SMTP_PASSWORD", "smtp-e2e-Pa55")
	head := `smtp: { addr: "` + smtp.Addr + `", ca_file: "` + smtp.CAFile + `", from: "unlockbot <it@contoso.test>", username: unlockbot, password_env: E2E_SMTP_PASSWORD, timeout: 10s }`
	org := entraOrgYAML(g, "") + `    policy:
      verify: { required: [personal_data], personal_data: [{label: Employee ID, attribute: employeeID}, {label: Mobile, attribute: mobile, last_digits: 4}] }
      notify_owner: { email: true, manager: true, contact: "call the desk at +1 555 0100" }
`
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	e := newE2EOrgs(t, head, org, path, "")

	before := len(e.fake.Calls("chat.postMessage"))
	if code, body := e.post("/slack/interactions", requestForm("erin@contoso.test", "", e.trigger())); code != 200 || !strings.Contains(body, "clear") {
		t.Fatalf("submission: %d %s", code, body)
	}
	id := requestIDIn(t, e.fake.Calls("chat.postMessage")[before].Body)
	e.click(uLead, chApprove, "unlockbot.approve", id)
	e.settle()
	if g.User(erinID).Password != "" {
		t.Fatal("an unverified request was carried out")
	}

	e.openForm("unlockbot.verify_facts", id, "unlockbot.verify_facts")
	if _, body := e.post("/slack/interactions", verifyFactsForm(id, "E-58213", "0000")); !strings.Contains(body, "does not match") {
		t.Fatalf("a wrong mobile: %s", body)
	}
	if _, body := e.post("/slack/interactions", verifyFactsForm(id, " e-58213 ", "0187")); strings.Contains(body, "does not match") || strings.Contains(body, "holds no") {
		t.Fatalf("the right facts: %s", body)
	}
	e.click(uLead, chApprove, "unlockbot.approve", id)
	e.settle()
	u := g.User(erinID)
	if u.Password == "" {
		t.Fatal("verified and approved, yet the tenant got no password")
	}
	seen := e.verifyTrail(id)
	if seen["verify.failed"] != "failed" || seen["verify.passed"] != "ok" {
		t.Fatalf("verification trail: %v", seen)
	}

	mails := smtp.Wait(t, 2, 10*time.Second)
	to := map[string]string{}
	for _, m := range mails {
		to[strings.Join(m.To, ",")] = string(m.Data)
	}
	owner, manager := to["erin@contoso.test"], to["boss@contoso.test"]
	if !strings.Contains(owner, "Subject: Your password was reset") || !strings.Contains(manager, "who reports to you") {
		t.Fatalf("mails to %v:\nowner: %s\nmanager: %s", mails, owner, manager)
	}
	if strings.Contains(owner+manager, u.Password) {
		t.Fatal("a notice holds the password")
	}
	e.assertNowhere("E-58213", "+1 425 555 0187", u.Password)
}

// TestSlackSelfServiceByMailOnEntraID: a person whose Slack profile holds
// their Entra ID mail, not their UPN, is mapped to their account; the code
// goes to that mail, and typed back it resets the password in the tenant.
// An address that is one user's UPN and another's mail names nobody: the
// hybrid and type-ahead wrappers reach entra's LookupByMail, which finds
// the second user, and self-service refuses.
func TestSlackSelfServiceByMailOnEntraID(t *testing.T) {
	g := newGraph(t)
	g.AddUser(entratest.User{ID: erinID, UPN: "erin@contoso.test", Mail: "erin.cloud@contoso.test", MailNickname: "erin",
		DisplayName: "Erin Cloud", Enabled: true})
	smtp := smtptest.Start(t, smtptest.Options{Users: map[string]string{"unlockbot": "smtp-e2e-Pa55"}})
	t.Setenv("E2E_SMTP_PASSWORD", "smtp-e2e-Pa55")
	head := `smtp: { addr: "` + smtp.Addr + `", ca_file: "` + smtp.CAFile + `", from: "unlockbot <it@contoso.test>", username: unlockbot, password_env: E2E_SMTP_PASSWORD, timeout: 10s }`
	org := entraOrgYAML(g, "") + "    policy: { verify: { offered: [email_code] }, self_service: { enabled: true, allow_reset: true, require_approval: \"false\" } }\n"
	e := newE2EOrgs(t, head, org, filepath.Join(t.TempDir(), "audit.jsonl"), "")
	e.fake.SetEmail("erin.cloud@contoso.test", uPerson)

	if body := e.command(uPerson, "/unlock", "reset"); !strings.Contains(body, "Check your direct messages") {
		t.Fatalf("/unlock reset by mail: %s", body)
	}
	id := buttonValue(t, e.lastDM(uPerson, "unlockbot.verify_email"), "unlockbot.verify_email")
	e.click(uPerson, "DPERSON", "unlockbot.verify_email", id)
	e.settle()
	m := smtp.Wait(t, 1, 10*time.Second)[0]
	if strings.Join(m.To, ",") != "erin.cloud@contoso.test" {
		t.Fatalf("the code went to %v, want the tenant's mail", m.To)
	}
	if _, body := e.post("/slack/interactions", codeForm(uPerson, id+"|DPERSON", codeFrom(t, m))); strings.Contains(body, "errors") {
		t.Fatalf("the right code was refused: %s", body)
	}
	e.settle()
	if g.User(erinID).Password == "" {
		t.Fatal("the right code did not reset the password in the tenant")
	}
	var submitted bool
	for _, r := range selfRecords(t, e.audit) {
		submitted = submitted || (r.Type == "request.submitted" && r.TargetDN == erinID)
	}
	if !submitted {
		t.Fatal("no self-service request for the account the mail names")
	}

	g.AddUser(entratest.User{ID: bossID, UPN: "frank@contoso.test", Mail: "erin@contoso.test", MailNickname: "frank", Enabled: true})
	e.fake.SetEmail("erin@contoso.test", "UERIN2")
	if body := e.command("UERIN2", "/unlock", "reset"); !strings.Contains(body, "matches more than one account") {
		t.Fatalf("/unlock reset by an address that is a UPN and another's mail: %s", body)
	}
}
