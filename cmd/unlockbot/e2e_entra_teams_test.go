package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity/entra/entratest"
)

// TestTeamsFlowWithEntraID: the whole Teams flow on a cloud-only Entra ID
// account (Teams users are Entra users), against the strict fakes of Bot
// Framework and Graph and a real Redis.
func TestTeamsFlowWithEntraID(t *testing.T) {
	g := newGraph(t)
	org := entraOrgYAML(g, "")
	org = strings.Replace(org, "    slack: {", fmt.Sprintf("    teams: { channels: [%q], approval_channel: %q, technicians: [%s], approvers: [%s] }\n    slack: {",
		tmHelp, tmApprove, tmTech.AADObjectID, tmLead.AADObjectID), 1)
	e := newTeamsE2EOrgs(t, org)
	chat := e.fake.Personal(tmTech)
	if code, _ := e.send(e.fake.Message(tmTech, channelConv(tmHelp), "unlock")); code != http.StatusOK {
		t.Fatalf("unlock: %d", code)
	}
	e.settle()
	form, ok := lastCard(e.fake, chat.ID, `"Input.`)
	if !ok {
		t.Fatalf("no form in the technician's personal chat: %+v", e.fake.Activities(chat.ID))
	}
	search := e.fake.Invoke(tmTech, chat, "application/search", map[string]any{
		"queryText": "eri", "dataset": "account", "kind": "search", "queryOptions": map[string]any{"skip": 0, "top": 15},
		"data": map[string]any{"org": "lab"}})
	if code, body := e.send(search); code != 200 || !strings.Contains(string(body), "erin@contoso.test") {
		t.Fatalf("type-ahead did not find Erin in the tenant: %d %s", code, body)
	}
	verb, data := formData(t, form.Card, map[string]string{"org": "lab", "account": "erin@contoso.test", "mode": "", "password": "",
		"temporary": "yes", "note_password": "no", "reason": "Verified by call-back to the HR number"})
	if ans := e.action(tmTech, chat, form.ID, verb, data); strings.Contains(ans.Raw, `"Input.`) {
		t.Fatalf("submission: %s", ans.Raw)
	}
	card, ok := lastCard(e.fake, tmApprove, "erin@contoso.test")
	if !ok {
		t.Fatalf("no approval card: %+v", e.fake.Activities(tmApprove))
	}
	id := requestIn(t, card.Card)
	thread := channelConv(tmApprove + ";messageid=" + card.ID)
	if view := e.action(tmLead, thread, card.ID, "teams.refresh", map[string]any{"request": id}); !strings.Contains(view.Raw, entraOK) {
		t.Fatalf("the approver's card does not say what Entra ID can do: %s", view.Raw)
	}
	e.action(tmLead, thread, card.ID, "unlockbot.approve", map[string]any{"request": id})
	e.settle()

	u := g.User(erinID)
	if u.Password == "" || u.Revoked != 1 || !u.ForceChange {
		t.Fatalf("in the tenant: password set %t, revoked %d, must change %t", u.Password != "", u.Revoked, u.ForceChange)
	}
	if _, ok := lastCard(e.fake, tmApprove, "signed out everywhere"); !ok {
		t.Fatal("no confirmation in the thread saying the user was signed out")
	}
	notice, ok := lastCard(e.fake, chat.ID, "unlockbot.reveal")
	if !ok {
		t.Fatal("no Reveal in the technician's personal chat")
	}
	shown := e.action(tmTech, chat, notice.ID, "unlockbot.reveal", map[string]any{"request": id})
	if !strings.Contains(shown.Raw, u.Password) {
		t.Fatal("the revealed password is not the one the tenant got")
	}
	e.settle()
	want := []string{"request.submitted", "request.approved", "reset.started", "reset.write_started", "reset.password_set", "reset.verified",
		"ticket.created", "ticket.noted", "ticket.resolved", "reset.completed", "request.delivered", "password.revealed"}
	if got := typesFor(trailOf(t, e.audit), id); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("events:\n got %q\nwant %q", got, want)
	}
	if strings.Contains(e.logs.String(), u.Password) || strings.Contains(e.logs.String(), entratest.Secret) {
		t.Fatal("the password or the client secret is in the log")
	}
}
