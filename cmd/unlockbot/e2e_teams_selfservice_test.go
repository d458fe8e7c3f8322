package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
	"github.com/unlockbot/unlockbot/bot/mailer/smtptest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// TestTeamsSelfServiceUnlocksOwnAccount is self-service on Teams against
// Samba: a locked-out person (no role) whose Entra UPN, as the connector's
// member lookup gives it, is their account's UPN types "unlock"; the
// private card's Send e-mail code opens the code form and mails the code
// to the directory's mail; the code typed into the form unlocks the
// account (lockoutTime written once, password untouched), audited with
// origin self_service, and the code is in no log, audit record or Teams
// call.
func TestTeamsSelfServiceUnlocksOwnAccount(t *testing.T) {
	lab := ldaptest.AD(t)
	smtp := smtptest.Start(t, smtptest.Options{Users: map[string]string{"unlockbot": "smtp-e2e-Pa55"}})
	t.Setenv("E2E_SMTP_PASSWORD", "smtp-e2e-Pa55")
	t.Setenv("E2E_BIND_PASSWORD", lab.BotPassword)
	head := `smtp: { addr: "` + smtp.Addr + `", ca_file: "` + smtp.CAFile + `", from: "unlockbot <it@lab.example.test>", username: unlockbot, password_env: E2E_SMTP_PASSWORD, timeout: 10s }` + "\n"
	orgs := head + teamsOrgYAML(lab, "E2E_BIND_PASSWORD") +
		"    policy: { verify: { offered: [email_code] }, self_service: { enabled: true, require_approval: \"false\" } }\n"
	e := newTeamsE2EOrgs(t, orgs)
	name, dn := newLabUser(t, lab)
	mail := name + "@lab.example.test"
	setAttrs(t, lab, dn, map[string]string{"mail": mail})
	lab.Lock(t, dn)
	person := teamstest.User{MRI: "29:1labperson", AADObjectID: "6f1c2f0e-5555-4a4a-9b9b-00000000000e", Name: "Pat Person", UPN: name + "@example.test"}
	e.fake.AddUser(person)
	lockouts, pwd := lab.MetaVersion(t, dn, ldaptest.AttLockoutTime), lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd)
	chat := e.fake.Personal(person)

	if code, _ := e.send(e.fake.Message(person, chat, "unlock")); code != 200 {
		t.Fatalf("unlock: %d", code)
	}
	e.settle()
	card, ok := lastCard(e.fake, chat.ID, "unlockbot.verify_email")
	if !ok {
		t.Fatalf("no Send e-mail code in the person's chat: %+v", e.fake.Activities(chat.ID))
	}
	id := requestIDOfAction(t, string(card.Card), "unlockbot.verify_email")
	form := e.action(person, chat, card.ID, "unlockbot.verify_email", map[string]any{"request": id})
	if !strings.Contains(form.Raw, `"Input.Text"`) || !strings.Contains(form.Raw, "unlockbot.verify_code") {
		t.Fatalf("the code form did not open: %s", form.Raw)
	}
	e.settle()
	m := smtp.Wait(t, 1, 10*time.Second)[0]
	if strings.Join(m.To, ",") != mail {
		t.Fatalf("the code went to %v, want %s", m.To, mail)
	}
	code := codeFrom(t, m)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	verb, data := formData(t, form.Value, map[string]string{"verify_code": wrong})
	if ans := e.action(person, chat, card.ID, verb, data); !strings.Contains(ans.Raw, "2 tries left") {
		t.Fatalf("a wrong code: %s", ans.Raw)
	}
	if !lab.Locked(t, dn) {
		t.Fatal("a wrong code unlocked the account")
	}
	// A wrong answer spends the code: send another.
	form = e.action(person, chat, card.ID, "unlockbot.verify_email", map[string]any{"request": id})
	e.settle()
	code = codeFrom(t, smtp.Wait(t, 2, 10*time.Second)[1])
	verb, data = formData(t, form.Value, map[string]string{"verify_code": code})
	if ans := e.action(person, chat, card.ID, verb, data); strings.Contains(ans.Raw, "Attention") {
		t.Fatalf("the right code was refused: %s", ans.Raw)
	}
	e.settle()
	if lab.Locked(t, dn) {
		t.Fatal("the right code did not unlock the account")
	}
	if l, p := lab.MetaVersion(t, dn, ldaptest.AttLockoutTime), lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd); l != lockouts+1 || p != pwd {
		t.Fatalf("lockoutTime version %d → %d (want +1), unicodePwd %d → %d (want unchanged)", lockouts, l, pwd, p)
	}
	var done bool
	for _, r := range trailOf(t, e.audit) {
		if r.RequestID == id && r.Detail["origin"] != "self_service" {
			t.Errorf("%s lacks origin self_service", r.Type)
		}
		done = done || (r.RequestID == id && r.Type == "unlock.completed")
	}
	if !done {
		t.Fatal("no unlock.completed in the trail")
	}
	e.mu.Lock()
	sent := strings.Join(append(e.fake.Bodies(), e.answers...), "\n")
	e.mu.Unlock()
	if strings.Contains(sent, code) || strings.Contains(e.logs.String(), code) || strings.Contains(fmt.Sprint(trailOf(t, e.audit)), code) {
		t.Fatal("the code is in a Teams body, the log or the trail")
	}
}

// requestIDOfAction is the request id an Action.Execute of verb carries.
func requestIDOfAction(t *testing.T, card, verb string) string {
	t.Helper()
	i := strings.Index(card, `"verb":"`+verb+`"`)
	if i < 0 {
		t.Fatalf("no %s in %s", verb, card)
	}
	j := strings.Index(card[i:], `"request":"`)
	if j < 0 {
		t.Fatalf("%s without a request id: %s", verb, card)
	}
	rest := card[i+j+len(`"request":"`):]
	return rest[:strings.IndexByte(rest, '"')]
}
