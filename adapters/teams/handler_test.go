package teams_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/unlockbot/unlockbot/adapters/adaptertest"
	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
	"github.com/unlockbot/unlockbot/bot"
)

// Each bad token is answered 401 before anything else happens: no answer
// is computed, nothing reaches the connector, and the refusal is audited
// (at most once per reason and minute).
func TestBadTokensAreRefusedWith401(t *testing.T) {
	other := func(act *schema.Activity) {
		act.ChannelData["tenant"] = map[string]any{"id": "11111111-2222-3333-4444-555555555555"}
		act.Conversation.TenantID = "11111111-2222-3333-4444-555555555555"
	}
	for _, c := range []struct {
		name, why string
		opt       teamstest.TokenOption
		change    func(*schema.Activity)
	}{
		{"forged signature", "bad_signature", teamstest.ForgedSignature(), nil},
		{"unknown kid", "unknown_key", teamstest.UnknownKey(), nil},
		{"expired", "expired", teamstest.Expired(), nil},
		{"wrong audience", "audience", teamstest.Audience("00000000-0000-0000-0000-000000000bad"), nil},
		{"wrong issuer", "issuer", teamstest.Issuer("https://sts.windows.net/evil/"), nil},
		{"wrong serviceurl", "service_url", teamstest.ServiceURLClaim("https://evil.example/"), nil},
		{"other tenant", "tenant", nil, other},
		// The handler reads its own lean activity (activity.go): each field
		// the token is matched with is read there too.
		{"other tenant in channelData only", "tenant", nil, func(act *schema.Activity) {
			act.ChannelData["tenant"] = map[string]any{"id": "11111111-2222-3333-4444-555555555555"}
		}},
		{"no tenant in channelData", "tenant", nil, func(act *schema.Activity) { delete(act.ChannelData, "tenant") }},
		{"other tenant in the conversation only", "tenant", nil, func(act *schema.Activity) {
			act.Conversation.TenantID = "11111111-2222-3333-4444-555555555555"
		}},
		{"another channel", "channel", nil, func(act *schema.Activity) { act.ChannelID = "skype" }},
		{"alg none", "algorithm", teamstest.AlgNone(), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := newContractTeams(t, adaptertest.NewEnv(t, bindings()))
			act := d.fake.Message(people[adaptertest.Technician], d.fake.Personal(people[adaptertest.Technician]), "unlock")
			if c.change != nil {
				c.change(act)
			}
			var opts []teamstest.TokenOption
			if c.opt != nil {
				opts = append(opts, c.opt)
			}
			for range 2 {
				if code, body := d.fake.Deliver(d.mux, act, opts...); code != http.StatusUnauthorized || strings.Contains(string(body), "unlock") {
					t.Fatalf("answered %d %q, want 401", code, body)
				}
			}
			d.Wait(t)
			for _, b := range d.fake.Bodies() { // the two answers, and nothing sent to the connector
				if strings.TrimSpace(b) != "unauthorized" {
					t.Fatalf("the bot sent %q for a refused activity", b)
				}
			}
			if n := strings.Count(d.env.Audit(), `"type":"platform.refused"`); n != 1 || !strings.Contains(d.env.Audit(), `"why":"`+c.why+`"`) {
				t.Fatalf("%d refusal records (want 1, why %s):\n%s", n, c.why, d.env.Audit())
			}
		})
	}
}

// A request without a token, or with a body that is not an activity, is
// refused the same way.
func TestNoTokenOrNoActivityIs401(t *testing.T) {
	d := newContractTeams(t, adaptertest.NewEnv(t, bindings()))
	if code, _ := d.fake.DeliverRaw(d.mux, []byte(`{"type":"message"}`), ""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	act := d.fake.Message(people[adaptertest.Technician], d.fake.Personal(people[adaptertest.Technician]), "unlock")
	if code, _ := d.fake.DeliverRaw(d.mux, []byte(`not json`), d.fake.Authorization(act)); code != http.StatusUnauthorized {
		t.Errorf("not an activity: %d", code)
	}
}

// A card action from another tenant is refused like a message: 401,
// audited, nothing answered.
func TestOtherTenantInvokeIs401(t *testing.T) {
	d := newContractTeams(t, adaptertest.NewEnv(t, bindings()))
	tech := people[adaptertest.Technician]
	act := d.fake.Invoke(tech, d.fake.Personal(tech), "adaptiveCard/action", map[string]any{
		"action": map[string]any{"type": "Action.Execute", "verb": "unlockbot.reveal", "data": map[string]any{"request": "r1"}}})
	act.ChannelData["tenant"] = map[string]any{"id": "11111111-2222-3333-4444-555555555555"}
	if code, body := d.fake.Deliver(d.mux, act); code != http.StatusUnauthorized || strings.Contains(string(body), "statusCode") {
		t.Fatalf("answered %d %s", code, body)
	}
	if !strings.Contains(d.env.Audit(), `"why":"tenant"`) {
		t.Fatalf("not audited:\n%s", d.env.Audit())
	}
}

// Teams names every activity; one without an id that would change
// something is refused (a replay of it could not be told apart).
func TestActivityWithoutIDRefused(t *testing.T) {
	d := newContractTeams(t, adaptertest.NewEnv(t, bindings()))
	tech := people[adaptertest.Technician]
	act := d.fake.Message(tech, d.fake.Personal(tech), "unlock")
	act.ID = ""
	if code, _ := d.fake.Deliver(d.mux, act); code != http.StatusBadRequest {
		t.Fatalf("answered %d, want 400", code)
	}
	d.Wait(t)
	if n := len(d.fake.Activities(d.fake.Personal(tech).ID)); n != 0 {
		t.Fatalf("%d messages sent for an activity without an id", n)
	}
}

// Someone of the tenant with no role in the org who sends a refresh for a
// request id (ids are on cards) reads that it is not theirs to see.
func TestOutsiderRefreshSeesNothing(t *testing.T) {
	env := adaptertest.NewEnv(t, bindings())
	d := newContractTeams(t, env)
	form := d.Command(t, adaptertest.Technician, "")
	if errs := d.Submit(t, adaptertest.Technician, form, map[bot.FieldID]string{bot.FieldOrg: adaptertest.OrgID, bot.FieldAccount: adaptertest.Locked,
		bot.FieldReason: "Called back on the HR phone number"}); errs != nil {
		t.Fatal(errs)
	}
	d.Wait(t)
	card := d.fake.Activities(chApprovals)[0]
	rc := readCard(t, card.Card, nil)
	thread := teamstest.Conversation{ID: chApprovals + ";messageid=" + card.ID, Type: "channel", TeamID: teamID}
	ans, ok := d.invoke(t, adaptertest.Outsider, thread, card.ID, rc.refresh.Verb, rc.refresh.Data, "manual")
	if !ok || strings.Contains(string(ans.Value), adaptertest.Locked) || strings.Contains(string(ans.Value), "unlockbot.approve") || !strings.Contains(string(ans.Value), "Only Acme") {
		t.Fatalf("an outsider's refresh answered %s", ans.Value)
	}
}

// A technician who has not installed the app for themselves, asking in a
// channel, is told in the thread what to do: the form cannot reach them.
func TestCommandFromChannelWithoutPersonalInstall(t *testing.T) {
	d := newContractTeams(t, adaptertest.NewEnv(t, bindings()))
	tech := people[adaptertest.Technician]
	d.fake.Uninstall(tech)
	if code, _ := d.fake.Deliver(d.mux, d.fake.Message(tech, d.acme, "unlock alice")); code != http.StatusOK {
		t.Fatalf("answered %d", code)
	}
	d.Wait(t)
	var told bool
	for _, p := range d.fake.Activities(chAcme) {
		told = told || strings.Contains(string(p.Card), "Install unlockbot for yourself")
	}
	if !told {
		t.Fatalf("the thread does not say what to do: %+v", d.fake.Activities(chAcme))
	}
}

// A Reveal pressed anywhere but the requester's personal chat (a forged
// invoke in a channel) shows nothing and does not use up the reveal.
func TestRevealOnlyInThePersonalChat(t *testing.T) {
	env := adaptertest.NewEnv(t, bindings())
	d := newContractTeams(t, env)
	form := d.Command(t, adaptertest.Technician, "")
	if errs := d.Submit(t, adaptertest.Technician, form, map[bot.FieldID]string{bot.FieldOrg: adaptertest.OrgID, bot.FieldAccount: adaptertest.Locked,
		bot.FieldReason: "Called back on the HR phone number"}); errs != nil {
		t.Fatal(errs)
	}
	d.Wait(t)
	card := d.Approvals(t)[0]
	b, _ := card.Button(bot.ActionApprove)
	d.Click(t, adaptertest.Approver, card, bot.ActionApprove)
	d.Wait(t)
	u, _ := env.Dir.User(adaptertest.Locked)
	ans, ok := d.invoke(t, adaptertest.Technician, d.acme, "", string(bot.ActionReveal), map[string]any{"request": b.RequestID}, "manual")
	if !ok || ans.Type != typeMessage || strings.Contains(string(ans.Value), u.Password) || !strings.Contains(string(ans.Value), "private message") {
		t.Fatalf("a reveal in a channel answered %s %s", ans.Type, ans.Value)
	}
	var notice adaptertest.Message
	for _, m := range d.Private(t, adaptertest.Technician) {
		if _, ok := m.Button(bot.ActionReveal); ok {
			notice = m
		}
	}
	d.Click(t, adaptertest.Technician, notice, bot.ActionReveal)
	var shown bool
	for _, m := range d.Private(t, adaptertest.Technician) {
		shown = shown || strings.Contains(m.String(), u.Password)
	}
	if !shown {
		t.Fatal("the reveal in the personal chat did not show the password after the one in a channel")
	}
}

// What only asks to see something (a card's refresh, a type-ahead) is
// answered every time, a repeat too; what changes something is handled
// once (TestReplayedFormIsTakenBack).
func TestReadOnlyInvokesAnsweredEachTime(t *testing.T) {
	d := newContractTeams(t, adaptertest.NewEnv(t, bindings()))
	tech := people[adaptertest.Technician]
	chat := d.fake.Personal(tech)
	search := d.fake.Invoke(tech, chat, "application/search", map[string]any{"queryText": "ali", "dataset": "account", "kind": "search",
		"data": map[string]any{"org": adaptertest.OrgID}})
	refresh := d.fake.Invoke(tech, chat, "adaptiveCard/action", map[string]any{
		"action": map[string]any{"type": "Action.Execute", "verb": "teams.refresh", "data": map[string]any{"request": "no-such-request"}}})
	for _, act := range []*schema.Activity{search, refresh} {
		for i := range 2 {
			if code, body := d.fake.Deliver(d.mux, act); code != http.StatusOK || !strings.Contains(string(body), `"statusCode":200`) {
				t.Fatalf("%s, delivery %d: %d %q", act.Name, i+1, code, body)
			}
		}
	}
	approve := d.fake.Invoke(tech, chat, "adaptiveCard/action", map[string]any{
		"action": map[string]any{"type": "Action.Execute", "verb": "unlockbot.approve", "data": map[string]any{"request": "no-such-request"}}})
	if _, body := d.fake.Deliver(d.mux, approve); !strings.Contains(string(body), "statusCode") {
		t.Fatalf("first approve not answered: %q", body)
	}
	if code, body := d.fake.Deliver(d.mux, approve); code != http.StatusOK || len(body) != 0 {
		t.Fatalf("a repeated approve was handled again: %d %q", code, body)
	}
}

// A submit naming a form the bot never sent is not taken for a request.
func TestSubmitOfUnknownFormRefused(t *testing.T) {
	d := newContractTeams(t, adaptertest.NewEnv(t, bindings()))
	tech := people[adaptertest.Technician]
	ans, ok := d.invoke(t, adaptertest.Technician, d.fake.Personal(tech), "", "teams.submit",
		map[string]any{"form": "unlockbot.other", "org": adaptertest.OrgID, "account": adaptertest.Locked, "reason": "Called back on the HR phone number"}, "manual")
	if !ok || ans.Type != typeMessage || !strings.Contains(string(ans.Value), "could not read that card") {
		t.Fatalf("answered %s %s", ans.Type, ans.Value)
	}
	d.Wait(t)
	if n := len(d.fake.Activities(chApprovals)); n != 0 {
		t.Fatalf("%d approval cards for an unknown form", n)
	}
}

// An activity whose value is not an object (some message kinds carry a
// string) is still read and handled.
func TestActivityWithAStringValueIsRead(t *testing.T) {
	d := newContractTeams(t, adaptertest.NewEnv(t, bindings()))
	tech := people[adaptertest.Technician]
	act := d.fake.Message(tech, d.fake.Personal(tech), "unlock")
	body := strings.Replace(string(d.fake.Wire(act)), `"type":"message"`, `"type":"message","value":"a string"`, 1)
	if !strings.Contains(body, `"value":"a string"`) {
		t.Fatalf("the activity was not changed: %s", body)
	}
	if code, _ := d.fake.DeliverRaw(d.mux, []byte(body), d.fake.Authorization(act)); code != http.StatusOK {
		t.Fatalf("answered %d", code)
	}
	d.Wait(t)
	if n := len(d.fake.Activities(d.fake.Personal(tech).ID)); n != 1 {
		t.Fatalf("%d forms, want 1", n)
	}
}

// A normal activity records its references without a complaint in the log.
func TestRememberingReferencesLogsNothing(t *testing.T) {
	env := adaptertest.NewEnv(t, bindings())
	d := newContractTeams(t, env)
	d.Command(t, adaptertest.Technician, "")
	if logs := env.Logs(); strings.Contains(logs, "could not record") {
		t.Fatalf("a recorded reference logged a failure:\n%s", logs)
	}
}
