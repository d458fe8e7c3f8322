package main

import (
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/bot/mailer/smtptest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// setAttrs writes attributes of a lab user (as the domain admin, setup only).
func setAttrs(t *testing.T, lab *ldaptest.Server, dn string, attrs map[string]string) {
	t.Helper()
	m := goldap.NewModifyRequest(dn, nil)
	for k, v := range attrs {
		m.Replace(k, []string{v})
	}
	if err := lab.Admin(t).Modify(m); err != nil {
		t.Fatalf("modify %s: %v", dn, err)
	}
}

// revealed presses Reveal as the technician and returns the password the
// window showed (proven by a bind).
func (e *e2e) revealed(lab *ldaptest.Server, id, dn string) string {
	e.t.Helper()
	e.click(uTech, "DTECH", "unlockbot.reveal", id)
	e.settle()
	for _, c := range e.fake.Calls("views.open") {
		if strings.Contains(c.Body, "slack.password_window") {
			return passwordInView(e.t, c.Body, lab, dn)
		}
	}
	e.t.Fatal("no password revealed")
	return ""
}

// TestOwnerToldOfResetInSlackAndByMail: after a reset in Samba AD through
// Slack, the account's owner gets a DM (found by the directory's mail with
// users.lookupByEmail) and an e-mail over STARTTLS with AUTH, and the
// manager the directory names gets one too; none holds the password.
func TestOwnerToldOfResetInSlackAndByMail(t *testing.T) {
	lab := ldaptest.AD(t)
	smtp := smtptest.Start(t, smtptest.Options{Users: map[string]string{"unlockbot": "smtp-e2e-Pa55"}})
	t.Setenv("E2E_SMTP_PASSWORD", "smtp-e2e-Pa55")
	head := `smtp: { addr: "` + smtp.Addr + `", ca_file: "` + smtp.CAFile + `", from: "unlockbot <it@lab.example.test>", username: unlockbot, password_env: E2E_SMTP_PASSWORD, timeout: 10s }`
	tail := `    policy: { notify_owner: { chat: true, email: true, manager: true, contact: "call the lab desk at +1 555 0100" } }
`
	e := newE2EWith(t, lab, head, tail)
	name, dn := newLabUser(t, lab)
	boss, bossDN := newLabUser(t, lab)
	setAttrs(t, lab, bossDN, map[string]string{"mail": boss + "@lab.example.test"})
	setAttrs(t, lab, dn, map[string]string{"mail": name + "@lab.example.test", "manager": bossDN})
	lab.Lock(t, dn)
	e.fake.SetEmail(name+"@lab.example.test", "UOWNER")

	id := e.resetViaSlack(name)
	pw := e.revealed(lab, id, dn)

	var dm string
	for _, c := range e.fake.Calls("chat.postMessage") {
		if c.Str("channel") == "UOWNER" {
			dm += c.Body
		}
	}
	if !strings.Contains(dm, "Your password was reset") || !strings.Contains(dm, "call the lab desk at +1 555 0100") {
		t.Fatalf("the owner's DM: %q", dm)
	}
	mails := smtp.Wait(t, 2, 10*time.Second)
	to := map[string]string{}
	for _, m := range mails {
		if !m.TLS || m.AuthUser != "unlockbot" {
			t.Fatalf("mail sent without TLS or sign-in: %+v", m)
		}
		to[strings.Join(m.To, ",")] = string(m.Data)
	}
	owner, manager := to[name+"@lab.example.test"], to[boss+"@lab.example.test"]
	if !strings.Contains(owner, "Subject: Your password was reset") || !strings.Contains(manager, "who reports to you") {
		t.Fatalf("mails:\nowner: %s\nmanager: %s", owner, manager)
	}
	for where, text := range map[string]string{"DM": dm, "owner mail": owner, "manager mail": manager} {
		if strings.Contains(text, pw) {
			t.Fatalf("the %s holds the password", where)
		}
	}
	if v := smtp.Violations(); len(v) > 0 {
		t.Fatalf("SMTP protocol errors: %v", v)
	}
	recs := trailOf(t, e.audit)
	var ok bool
	for _, r := range recs {
		if r.RequestID == id && r.Type == "owner.notified" {
			ok = r.Outcome == "ok" && r.Detail["chat"] == "sent" && r.Detail["email"] == "sent" && r.Detail["manager_email"] == "sent"
		}
	}
	if !ok {
		t.Fatalf("no owner.notified ok for %s", id)
	}
}
