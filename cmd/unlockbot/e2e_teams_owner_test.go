package main

import (
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// labOwner is a lab user whose directory mail is also their Teams UPN, as
// it is in most tenants, and who is a member of the lab's team.
func labOwner(t *testing.T, e *teamsE2E, lab *ldaptest.Server, n int) (teamstest.User, string, string) {
	t.Helper()
	name, dn := newLabUser(t, lab)
	setAttrs(t, lab, dn, map[string]string{"mail": name + "@lab.example.test"})
	lab.Lock(t, dn)
	u := teamstest.User{MRI: "29:1owner" + name, AADObjectID: "6f1c2f0e-7777-4a4a-9b9b-00000000000" + string(rune('a'+n)),
		Name: "Owner " + name, UPN: name + "@lab.example.test"}
	e.fake.AddUser(u)
	return u, name, dn
}

// askOwner submits a request for account as tmTech and presses "Ask the
// owner in chat" on the verify card in the technician's personal chat;
// it returns the request id and the question in the owner's chat.
func (e *teamsE2E) askOwner(owner teamstest.User, account string) (string, teamstest.Posted) {
	e.t.Helper()
	e.request(tmTech, account, "")
	chat := e.fake.Personal(tmTech)
	verify, ok := lastCard(e.fake, chat.ID, "unlockbot.verify_confirm")
	if !ok {
		e.t.Fatalf("no verify card in the technician's chat: %+v", e.fake.Activities(chat.ID))
	}
	id := requestIDOfAction(e.t, string(verify.Card), "unlockbot.verify_confirm")
	if ans := e.action(tmTech, chat, verify.ID, "unlockbot.verify_confirm", map[string]any{"request": id}); !strings.Contains(ans.Raw, "Asking") {
		e.t.Fatalf("verify_confirm: %s", ans.Raw)
	}
	e.settle()
	q, ok := lastCard(e.fake, e.fake.Personal(owner).ID, "unlockbot.confirm_yes")
	if !ok || !strings.Contains(string(q.Card), "unlockbot.confirm_no") {
		e.t.Fatalf("the owner was not asked in their personal chat: %+v", e.fake.Activities(e.fake.Personal(owner).ID))
	}
	return id, q
}

// approve presses Approve as tmLead on account's approval card.
func (e *teamsE2E) approve(account, id string) {
	e.t.Helper()
	card, ok := lastCard(e.fake, tmApprove, account)
	if !ok {
		e.t.Fatalf("no approval card for %s", account)
	}
	e.action(tmLead, channelConv(tmApprove+";messageid="+card.ID), card.ID, "unlockbot.approve", map[string]any{"request": id})
	e.settle()
}

// TestTeamsChatConfirmAndOwnerNotice: on Teams against Samba, the owner is
// found by the directory's mail as a member of the approval channel
// (connector member lookup by UPN) and asked in their personal chat; the
// technician's own Yes is refused; the owner's Yes lets the approved reset
// run, and the owner is told of it in their personal chat without the
// password. Another owner's No stops their request: Approve then changes
// nothing in AD, and the approval channel is alerted.
func TestTeamsChatConfirmAndOwnerNotice(t *testing.T) {
	lab := ldaptest.AD(t)
	t.Setenv("E2E_BIND_PASSWORD", lab.BotPassword)
	e := newTeamsE2EOrgs(t, teamsOrgYAML(lab, "E2E_BIND_PASSWORD")+
		"    policy: { verify: { required: [chat_confirm] }, notify_owner: { chat: true, contact: \"call the lab desk\" } }\n")

	yes, yesName, yesDN := labOwner(t, e, lab, 0)
	pwdBefore := lab.MetaVersion(t, yesDN, ldaptest.AttUnicodePwd)
	id, q := e.askOwner(yes, yesName)
	techChat := e.fake.Personal(tmTech)
	if ans := e.action(tmTech, techChat, q.ID, "unlockbot.confirm_yes", map[string]any{"request": id}); !strings.Contains(ans.Raw, "Only the person") {
		t.Fatalf("the technician's own Yes: %s", ans.Raw)
	}
	if ans := e.action(yes, e.fake.Personal(yes), q.ID, "unlockbot.confirm_yes", map[string]any{"request": id}); !strings.Contains(ans.Raw, "Thank you") {
		t.Fatalf("the owner's Yes: %s", ans.Raw)
	}
	e.settle()
	e.approve(yesName, id)
	if lab.Locked(t, yesDN) || lab.MetaVersion(t, yesDN, ldaptest.AttUnicodePwd) != pwdBefore+1 {
		t.Fatal("the confirmed, approved reset did not run once in AD")
	}
	notice, ok := lastCard(e.fake, techChat.ID, "unlockbot.reveal")
	if !ok {
		t.Fatal("no Reveal in the technician's chat")
	}
	pw := passwordInCard(t, e.action(tmTech, techChat, notice.ID, "unlockbot.reveal", map[string]any{"request": id}).Value, lab, yesDN)
	if pw == "" {
		t.Fatal("the reveal carried no password that binds")
	}
	told, ok := lastCard(e.fake, e.fake.Personal(yes).ID, "Your password was reset")
	if !ok || !strings.Contains(string(told.Card), "call the lab desk") {
		t.Fatalf("the owner was not told in their personal chat: %+v", e.fake.Activities(e.fake.Personal(yes).ID))
	}
	for _, p := range e.fake.Activities(e.fake.Personal(yes).ID) {
		if strings.Contains(string(p.Card), pw) || strings.Contains(p.Text, pw) {
			t.Fatal("the owner's personal chat holds the password")
		}
	}
	seen := map[string]string{}
	for _, r := range trailOf(t, e.audit) {
		if r.RequestID == id {
			seen[r.Type] = r.Outcome + " " + r.Detail["chat"]
		}
	}
	if seen["verify.confirm_sent"] != "ok " || seen["verify.passed"] != "ok " || seen["owner.notified"] != "ok sent" {
		t.Fatalf("trail of the confirmed request: %v", seen)
	}

	no, noName, noDN := labOwner(t, e, lab, 1)
	noBefore := lab.MetaVersion(t, noDN, ldaptest.AttUnicodePwd)
	id2, q2 := e.askOwner(no, noName)
	if ans := e.action(no, e.fake.Personal(no), q2.ID, "unlockbot.confirm_no", map[string]any{"request": id2}); !strings.Contains(ans.Raw, "stopped") {
		t.Fatalf("the owner's No: %s", ans.Raw)
	}
	e.settle()
	e.approve(noName, id2)
	if !lab.Locked(t, noDN) || lab.MetaVersion(t, noDN, ldaptest.AttUnicodePwd) != noBefore {
		t.Fatal("a request the owner denied changed the account")
	}
	if _, ok := lastCard(e.fake, tmApprove, "The owner did not ask for this"); !ok {
		t.Fatal("the approval channel was not alerted")
	}
}
