package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/mailer/smtptest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// verifyCard submits an unlock of account as tmTech and returns the
// request id and the verify card in the technician's personal chat that
// offers verb.
func (e *teamsE2E) verifyCard(account, verb string) (string, string) {
	e.t.Helper()
	e.request(tmTech, account, "unlock")
	card, ok := lastCard(e.fake, e.fake.Personal(tmTech).ID, verb)
	if !ok {
		e.t.Fatalf("no %s in the technician's chat: %+v", verb, e.fake.Activities(e.fake.Personal(tmTech).ID))
	}
	return requestIDOfAction(e.t, string(card.Card), verb), card.ID
}

// submitForm fills the form card answered in form and presses its Submit
// in the technician's personal chat, on the message msg.
func (e *teamsE2E) submitForm(form invokeAnswer, msg string, values map[string]string) invokeAnswer {
	e.t.Helper()
	verb, data := formData(e.t, form.Value, values)
	return e.action(tmTech, e.fake.Personal(tmTech), msg, verb, data)
}

// assertNowhere fails if any of secrets is in a body the bot sent to the
// connector or answered an activity with, in the log or in the audit
// trail.
func (e *teamsE2E) assertNowhere(secrets ...string) {
	e.t.Helper()
	trail, _ := os.ReadFile(e.audit)
	e.mu.Lock()
	sent := strings.Join(append(e.fake.Bodies(), e.answers...), "\n")
	e.mu.Unlock()
	assertNotIn(e.t, map[string]string{"Teams bodies": sent, "log": e.logs.String(), "audit": string(trail)}, secrets...)
}

// labSMTP is the strict SMTP receiver and the config line that sends
// through it.
func labSMTP(t *testing.T) (*smtptest.Server, string) {
	t.Helper()
	smtp := smtptest.Start(t, smtptest.Options{Users: map[string]string{"unlockbot": "smtp-e2e-Pa55"}})
	t.Setenv("E2E_SMTP_PASSWORD", "smtp-e2e-Pa55")
	return smtp, `smtp: { addr: "` + smtp.Addr + `", ca_file: "` + smtp.CAFile + `", from: "unlockbot <it@lab.example.test>", username: unlockbot, password_env: E2E_SMTP_PASSWORD, timeout: 10s }` + "\n"
}

// TestTeamsEmailCodeVerifiesTheCaller is a technician's request on Teams
// against Samba, verified by an e-mail code: Approve is refused until the
// code mailed (STARTTLS, AUTH) to otherMailbox is typed; a wrong code
// comes back as the code form (not the request form) saying how many
// tries are left; the right one lets the approval unlock the account once;
// the code is in no Teams body, log line or audit record.
func TestTeamsEmailCodeVerifiesTheCaller(t *testing.T) {
	lab := ldaptest.AD(t)
	smtp, head := labSMTP(t)
	t.Setenv("E2E_BIND_PASSWORD", lab.BotPassword)
	e := newTeamsE2EOrgs(t, head+teamsOrgYAML(lab, "E2E_BIND_PASSWORD")+"    policy: { verify: { required: [email_code], email_attribute: otherMailbox } }\n")
	name, dn := newLabUser(t, lab)
	home := name + "@home.example.test"
	setAttrs(t, lab, dn, map[string]string{"mail": name + "@lab.example.test", "otherMailbox": home})
	lab.Lock(t, dn)
	lockouts, pwd := lab.MetaVersion(t, dn, ldaptest.AttLockoutTime), lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd)

	id, msg := e.verifyCard(name, "unlockbot.verify_email")
	e.approve(name, id)
	if !lab.Locked(t, dn) {
		t.Fatal("an unverified request was carried out")
	}
	chat := e.fake.Personal(tmTech)
	form := e.action(tmTech, chat, msg, "unlockbot.verify_email", map[string]any{"request": id})
	if !strings.Contains(form.Raw, `"form":"unlockbot.verify_code"`) {
		t.Fatalf("the code form did not open: %s", form.Raw)
	}
	e.settle()
	m := smtp.Wait(t, 1, 10*time.Second)[0]
	if strings.Join(m.To, ",") != home || !m.TLS || m.AuthUser != "unlockbot" {
		t.Fatalf("code mail: to %v, tls %v, auth %q", m.To, m.TLS, m.AuthUser)
	}
	code := codeFrom(t, m)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	ans := e.submitForm(form, msg, map[string]string{"verify_code": wrong})
	if !strings.Contains(ans.Raw, "2 tries left") || !strings.Contains(ans.Raw, `"form":"unlockbot.verify_code"`) || strings.Contains(ans.Raw, `"id":"account"`) {
		t.Fatalf("a wrong code did not come back as the code form: %s", ans.Raw)
	}
	// A wrong answer spends the code: send another.
	form = e.action(tmTech, chat, msg, "unlockbot.verify_email", map[string]any{"request": id})
	e.settle()
	code = codeFrom(t, smtp.Wait(t, 2, 10*time.Second)[1])
	if ans := e.submitForm(form, msg, map[string]string{"verify_code": code}); !strings.Contains(ans.Raw, "Caller verified") {
		t.Fatalf("the right code: %s", ans.Raw)
	}
	e.settle()
	e.approve(name, id)
	if lab.Locked(t, dn) {
		t.Fatal("verified and approved, yet still locked")
	}
	if l, p := lab.MetaVersion(t, dn, ldaptest.AttLockoutTime), lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd); l != lockouts+1 || p != pwd {
		t.Fatalf("lockoutTime version %d → %d (want +1), unicodePwd %d → %d (want unchanged)", lockouts, l, pwd, p)
	}
	if v := smtp.Violations(); len(v) > 0 {
		t.Fatalf("SMTP protocol errors: %v", v)
	}
	if seen := verifyOutcomes(t, e.audit, id); seen["verify.code_sent"] != "ok" || seen["verify.failed"] != "failed" || seen["verify.passed"] != "ok" {
		t.Fatalf("verification trail: %v", seen)
	}
	e.assertNowhere(code, home)
}

// TestTeamsPersonalDataVerifiesTheCaller is the personal-data check on
// Teams against Samba: three wrong answers, each typed into the form the
// last one brought back, lock the request (the approval channel is
// alerted, Approve changes nothing in AD); for another account the facts
// as the caller says them (other case, spacing and mobile formatting) let
// the approval unlock it. The directory's values, and what was typed,
// are in no Teams body, log line or audit record.
func TestTeamsPersonalDataVerifiesTheCaller(t *testing.T) {
	lab := ldaptest.AD(t)
	t.Setenv("E2E_BIND_PASSWORD", lab.BotPassword)
	e := newTeamsE2EOrgs(t, teamsOrgYAML(lab, "E2E_BIND_PASSWORD")+
		"    policy: { verify: { required: [personal_data], personal_data: [{label: Employee ID, attribute: employeeID}, {label: Mobile, attribute: mobile, last_digits: 4}] } }\n")
	type person struct{ name, dn, employee, mobile, last4 string }
	newPerson := func() person {
		name, dn := newLabUser(t, lab)
		p := person{name: name, dn: dn, employee: "EMP-" + rand.Text()[:10], last4: fmt.Sprint(1000 + time.Now().UnixNano()%9000)}
		p.mobile = "+1 555 0100 " + p.last4
		setAttrs(t, lab, dn, map[string]string{"employeeID": p.employee, "mobile": p.mobile})
		lab.Lock(t, dn)
		return p
	}
	chat := e.fake.Personal(tmTech)
	open := func(p person) (string, string, invokeAnswer) {
		id, msg := e.verifyCard(p.name, "unlockbot.verify_facts")
		form := e.action(tmTech, chat, msg, "unlockbot.verify_facts", map[string]any{"request": id})
		if !strings.Contains(form.Raw, `"id":"verify_fact_0"`) || !strings.Contains(form.Raw, `"id":"verify_fact_1"`) {
			t.Fatalf("the personal-data form did not open: %s", form.Raw)
		}
		return id, msg, form
	}

	bad := newPerson()
	lockouts, pwds := lab.MetaVersions(t, lab.UsersDN, ldaptest.AttLockoutTime), lab.MetaVersions(t, lab.UsersDN, ldaptest.AttUnicodePwd)
	id, msg, form := open(bad)
	typed := []string{"WRONG-" + rand.Text()[:8], strings.ToLower(bad.employee)}
	for i, left := range []string{"2 tries left", "1 try left", "locked"} {
		form = e.submitForm(form, msg, map[string]string{"verify_fact_0": typed[i%2], "verify_fact_1": "9" + bad.last4[1:] + "0"})
		if !strings.Contains(form.Raw, left) {
			t.Fatalf("wrong answer %d: %s", i+1, form.Raw)
		}
		if i < 2 && (!strings.Contains(form.Raw, `"form":"unlockbot.verify_facts"`) || strings.Contains(form.Raw, typed[i%2])) {
			t.Fatalf("wrong answer %d did not bring back the facts form, empty: %s", i+1, form.Raw)
		}
	}
	e.settle()
	if _, ok := lastCard(e.fake, tmApprove, "Verification failed"); !ok {
		t.Fatal("the approval channel was not alerted of the locked request")
	}
	e.approve(bad.name, id)
	if !lab.Locked(t, bad.dn) {
		t.Fatal("a locked request unlocked the account")
	}
	for attr, before := range map[string]map[string]int{"lockoutTime": lockouts, "unicodePwd": pwds} {
		attid := map[string]uint32{"lockoutTime": ldaptest.AttLockoutTime, "unicodePwd": ldaptest.AttUnicodePwd}[attr]
		for dn, v := range lab.MetaVersions(t, lab.UsersDN, attid) {
			if w, ok := before[dn]; ok && w != v {
				t.Errorf("%s of %s changed (version %d → %d) after a locked request", attr, dn, w, v)
			}
		}
	}
	if seen := verifyOutcomes(t, e.audit, id); seen["verify.failed"] != "failed" || seen["verify.locked"] != "refused" {
		t.Fatalf("trail of the locked request: %v", seen)
	}

	good := newPerson()
	before := lab.MetaVersion(t, good.dn, ldaptest.AttLockoutTime)
	id2, msg2, form2 := open(good)
	said := map[string]string{"verify_fact_0": "  " + strings.ToLower(good.employee) + " ", "verify_fact_1": "ends " + good.last4[:2] + " " + good.last4[2:]}
	if ans := e.submitForm(form2, msg2, said); !strings.Contains(ans.Raw, "Caller verified") {
		t.Fatalf("the right facts: %s", ans.Raw)
	}
	e.settle()
	e.approve(good.name, id2)
	if lab.Locked(t, good.dn) || lab.MetaVersion(t, good.dn, ldaptest.AttLockoutTime) != before+1 {
		t.Fatal("verified and approved, yet not unlocked once")
	}
	if seen := verifyOutcomes(t, e.audit, id2); seen["verify.passed"] != "ok" {
		t.Fatalf("trail of the verified request: %v", seen)
	}
	e.assertNowhere(bad.employee, bad.mobile, strings.ToLower(bad.employee), typed[0], good.employee, good.mobile, strings.ToLower(good.employee))
}
