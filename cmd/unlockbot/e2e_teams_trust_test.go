package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

var (
	tmOwn   = teamstest.User{MRI: "29:1labown", AADObjectID: "6f1c2f0e-3333-4a4a-9b9b-00000000000c", Name: "Owen Own"}
	tmAdmin = teamstest.User{MRI: "29:1labadmin", AADObjectID: "6f1c2f0e-4444-4a4a-9b9b-00000000000d", Name: "Ada Admin"}
)

// trustTeamsE2E is the Teams setup for the trust rules: tmOwn and tmLead
// are technicians, only tmLead is an authorized requester, tmAdmin is
// the org's admin. own is tmOwn's own account: the member lookup answers
// its mail and UPN.
func trustTeamsE2E(t *testing.T, lab *ldaptest.Server, own string) *teamsE2E {
	t.Helper()
	t.Setenv("E2E_BIND_PASSWORD", lab.BotPassword)
	orgs := labOrgYAML(lab, "E2E_BIND_PASSWORD") + fmt.Sprintf(
		"    teams: { channels: [%q], approval_channel: %q, technicians: [%s, %s], approvers: [%s], authorized_requesters: [%s], admins: [%s] }\n",
		tmHelp, tmApprove, tmOwn.AADObjectID, tmLead.AADObjectID, tmLead.AADObjectID, tmLead.AADObjectID, tmAdmin.AADObjectID)
	e := newTeamsE2EOrgs(t, orgs)
	u := tmOwn
	u.Email, u.UPN = own+"@lab.example.test", own+"@example.test"
	e.fake.AddUser(u)
	e.fake.AddUser(tmAdmin)
	return e
}

// request asks for account as u the way a technician does on Teams:
// "unlock" in the help channel, then the form from the personal chat.
func (e *teamsE2E) request(u teamstest.User, account, mode string) invokeAnswer {
	e.t.Helper()
	if code, _ := e.send(e.fake.Message(u, channelConv(tmHelp), "unlock")); code != 200 {
		e.t.Fatalf("unlock from %s: %d", u.Name, code)
	}
	e.settle()
	chat := e.fake.Personal(u)
	form, ok := lastCard(e.fake, chat.ID, `"Input.`)
	if !ok {
		e.t.Fatalf("no form in %s's personal chat", u.Name)
	}
	verb, data := formData(e.t, form.Card, map[string]string{"org": "lab", "account": account, "mode": mode, "password": "", "temporary": "false",
		"note_password": "false", "reason": "Verified by call-back to the HR number"})
	ans := e.action(u, chat, form.ID, verb, data)
	e.settle()
	return ans
}

// approvalCards counts the approval cards for account in the approvals channel.
func (e *teamsE2E) approvalCards(account string) (n int) {
	for _, p := range e.fake.Activities(tmApprove) {
		if strings.Contains(string(p.Card), account) && strings.Contains(string(p.Card), `"refresh"`) {
			n++
		}
	}
	return n
}

// TestTeamsAuthorizedRequesters is policy.authorized_requesters end to end
// on Teams against Samba: tmOwn (not listed) is refused for someone
// else's account, audited not_authorized_requester, AD untouched; tmOwn
// may ask for the account whose UPN the connector's member lookup gives;
// tmLead (listed) may ask for anyone.
func TestTeamsAuthorizedRequesters(t *testing.T) {
	lab := ldaptest.AD(t)
	other, otherDN := newLabUser(t, lab)
	own, ownDN := newLabUser(t, lab)
	e := trustTeamsE2E(t, lab, own)
	lab.Lock(t, otherDN)
	lab.Lock(t, ownDN)
	lockouts := lab.MetaVersion(t, otherDN, ldaptest.AttLockoutTime)

	if ans := e.request(tmOwn, other, "unlock"); !strings.Contains(ans.Raw, "only for your own account") {
		t.Fatalf("unlisted technician for someone else: %s", ans.Raw)
	}
	if e.approvalCards(other) != 0 || lab.MetaVersion(t, otherDN, ldaptest.AttLockoutTime) != lockouts {
		t.Fatal("the refused request went on, or changed AD")
	}
	if !refusedAs(t, e.audit, otherDN, "not_authorized_requester") {
		t.Fatal("no request.refused why not_authorized_requester")
	}
	if ans := e.request(tmOwn, own, "unlock"); strings.Contains(ans.Raw, "only for your own account") || e.approvalCards(own) != 1 {
		t.Fatalf("unlisted technician for their own account: %d approval cards, answer %s", e.approvalCards(own), ans.Raw)
	}
	if ans := e.request(tmLead, other, "unlock"); e.approvalCards(other) != 1 {
		t.Fatalf("listed requester for someone else: no approval card, answer %s", ans.Raw)
	}
}

// say sends text from u in the help channel and returns the bot's answer
// in the message's thread that contains want.
func (e *teamsE2E) say(u teamstest.User, text, want string) {
	e.t.Helper()
	if code, _ := e.send(e.fake.Message(u, channelConv(tmHelp), text)); code != 200 {
		e.t.Fatalf("%q from %s: %d", text, u.Name, code)
	}
	e.settle()
	if _, ok := lastCard(e.fake, tmHelp, want); !ok {
		e.t.Fatalf("%q from %s: no answer with %q in %+v", text, u.Name, want, e.fake.Activities(tmHelp))
	}
}

// TestTeamsIntentionalLock is /lock on Teams against Samba: a technician
// may not lock; the admin's "lock" puts a user locked out for real in the
// Intentional Lock group and disables it; the helpdesk's request is then
// refused and AD left as it was; the admin's "lock release" undoes both
// and the helpdesk may ask again. All of it is in the audit trail.
func TestTeamsIntentionalLock(t *testing.T) {
	lab := ldaptest.AD(t)
	name, dn := newLabUser(t, lab)
	e := trustTeamsE2E(t, lab, "nobody")
	lab.Lock(t, dn)

	e.say(tmLead, "lock "+name+" stolen laptop", "Only an organization")
	if lab.IsMember(t, lab.IntentionalLockDN, dn) {
		t.Fatal("a technician's lock reached AD")
	}
	e.say(tmAdmin, "lock "+name+" stolen laptop", "Locked "+name+" on purpose")
	if !lab.IsMember(t, lab.IntentionalLockDN, dn) || !lab.Disabled(t, dn) {
		t.Fatal("AD does not show the lock")
	}
	lockouts, pwd := lab.MetaVersion(t, dn, ldaptest.AttLockoutTime), lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd)
	if ans := e.request(tmLead, name, "unlock"); !strings.Contains(ans.Raw, "locked on purpose") {
		t.Fatalf("helpdesk unlock of a locked-on-purpose account: %s", ans.Raw)
	}
	if l, p := lab.MetaVersion(t, dn, ldaptest.AttLockoutTime), lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd); l != lockouts || p != pwd || e.approvalCards(name) != 0 {
		t.Fatalf("the refused request went on: lockoutTime version %d → %d, unicodePwd %d → %d", lockouts, l, pwd, p)
	}
	e.say(tmAdmin, "lock release "+name+" laptop found", "Released "+name)
	if lab.IsMember(t, lab.IntentionalLockDN, dn) || lab.Disabled(t, dn) {
		t.Fatal("AD still shows the lock after the release")
	}
	// Samba stops reporting the lockout of a disabled account: a reset.
	if ans := e.request(tmLead, name, ""); e.approvalCards(name) != 1 {
		t.Fatalf("the request after the release was not sent for approval: %s", ans.Raw)
	}
	// Who did what: the technician's refused lock, the admin's lock and
	// release, and the helpdesk's refused request in between.
	want := map[string]string{"intentional_lock.refused": tmLead.AADObjectID, "intentional_lock.set": tmAdmin.AADObjectID,
		"intentional_lock.released": tmAdmin.AADObjectID, "request.refused": tmLead.AADObjectID}
	for _, r := range trailOf(t, e.audit) {
		if by, ok := want[r.Type]; ok && strings.Contains(r.Actor, by) && (r.TargetDN == dn || r.Target == name) {
			delete(want, r.Type)
		}
	}
	if len(want) > 0 {
		t.Errorf("the trail lacks, for %s: %v", dn, want)
	}
}
