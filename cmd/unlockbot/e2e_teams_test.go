package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
	"github.com/unlockbot/unlockbot/identity/typeahead"
	"github.com/unlockbot/unlockbot/psa"
	"github.com/unlockbot/unlockbot/psa/local"
)

// The lab's Teams people and places.
const (
	tmHelp    = "19:labhelp0desk@thread.tacv2"
	tmApprove = "19:labapprovals0@thread.tacv2"
	tmTeam    = "19:labteam0general@thread.tacv2"
)

var (
	tmTech = teamstest.User{MRI: "29:1labtech", AADObjectID: "6f1c2f0e-1111-4a4a-9b9b-00000000000a", Name: "Tess Tech"}
	tmLead = teamstest.User{MRI: "29:1lablead", AADObjectID: "6f1c2f0e-2222-4a4a-9b9b-00000000000b", Name: "Lee Lead"}
)

// teamsOrgYAML is labOrgYAML with the org's Teams block.
func teamsOrgYAML(lab *ldaptest.Server, pwEnv string, extra ...string) string {
	return labOrgYAML(lab, pwEnv, extra...) + fmt.Sprintf("    teams: { channels: [%q], approval_channel: %q, technicians: [%s], approvers: [%s] }\n",
		tmHelp, tmApprove, tmTech.AADObjectID, tmLead.AADObjectID)
}

// teamsPinned pins the fake's tenant and app.
const teamsPinned = "teams: { tenant_id: " + teamstest.DefaultTenantID + ", app_id: " + teamstest.DefaultAppID + " }"

// newTeamsFake is the Bot Framework fake with the lab's people and
// channels, and the environment that points a bot at it.
func newTeamsFake(t *testing.T, o teamstest.Options) (*teamstest.Server, []string) {
	fake := teamstest.New(t, o)
	fake.AddUser(tmTech)
	fake.AddUser(tmLead)
	fake.AddChannel(tmHelp, tmTeam)
	fake.AddChannel(tmApprove, tmTeam)
	return fake, []string{
		"TEAMS_APP_PASSWORD=" + teamstest.DefaultPassword,
		"TEAMS_OPENID_METADATA_URL=" + fake.MetadataURL(),
		"TEAMS_AUTHORITY_URL=" + fake.AuthorityURL(),
		"TEAMS_SERVICE_URL=" + fake.ServiceURL(),
		"TEAMS_SERVICE_URL_HOSTS=127.0.0.1",
	}
}

// teamsE2E is the production wiring (buildApp, routes, mountTeams) with
// the Bot Framework replaced by the strict fake; Redis and Samba real.
type teamsE2E struct {
	t     *testing.T
	app   *app
	fake  *teamstest.Server
	srv   *httptest.Server
	logs  *lockedBuffer
	audit string

	mu      sync.Mutex
	answers []string // every body the bot answered an activity with
}

func newTeamsE2E(t *testing.T, lab *ldaptest.Server) *teamsE2E {
	t.Helper()
	t.Setenv("E2E_BIND_PASSWORD", lab.BotPassword)
	return newTeamsE2EOrgs(t, teamsOrgYAML(lab, "E2E_BIND_PASSWORD"))
}

// newTeamsE2EOrgs is the Teams end-to-end setup with orgs as the config's
// orgs block, whatever directory they use.
func newTeamsE2EOrgs(t *testing.T, orgs string) *teamsE2E {
	t.Helper()
	fake, env := newTeamsFake(t, teamstest.Options{})
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	key := make([]byte, 32)
	rand.Read(key)
	t.Setenv("E2E_SEAL_KEY", base64.StdEncoding.EncodeToString(key))
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	cfg, err := ParseConfig([]byte(fmt.Sprintf("redis_url: %q\nredis_prefix: \"e2e:%s:\"\nseal_key_env: E2E_SEAL_KEY\nlog_level: debug\naudit: { file: %q, hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }] }\n%s\n",
		storetest.RedisURL(t), rand.Text(), audit, teamsPinned) + orgs))
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	a, err := buildApp(context.Background(), cfg, logs)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a.routes(mux)
	if _, err := a.mountTeams(context.Background(), mux); err != nil {
		t.Fatal(err)
	}
	e := &teamsE2E{t: t, app: a, fake: fake, srv: httptest.NewServer(mux), logs: logs, audit: audit}
	t.Cleanup(func() { e.srv.Close(); a.Close() })
	return e
}

// send posts act to base's /api/messages, signed as the Bot Framework
// signs it, and returns the answer.
func sendActivity(t testing.TB, fake *teamstest.Server, base string, act *schema.Activity) (int, []byte) {
	t.Helper()
	body := fake.Wire(act)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", fake.Authorization(act))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (e *teamsE2E) send(act *schema.Activity) (int, []byte) {
	e.t.Helper()
	code, body := sendActivity(e.t, e.fake, e.srv.URL, act)
	e.mu.Lock()
	e.answers = append(e.answers, string(body))
	e.mu.Unlock()
	return code, body
}

// action is an Action.Execute from u on the activity at (conv, replyTo).
func (e *teamsE2E) action(u teamstest.User, conv teamstest.Conversation, replyTo, verb string, data map[string]any) invokeAnswer {
	e.t.Helper()
	return doAction(e.t, e.fake, u, conv, replyTo, verb, data, e.send)
}

type invokeAnswer struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
	Raw   string          `json:"-"`
}

func doAction(t testing.TB, fake *teamstest.Server, u teamstest.User, conv teamstest.Conversation, replyTo, verb string, data map[string]any,
	send func(*schema.Activity) (int, []byte)) invokeAnswer {
	t.Helper()
	act := fake.Invoke(u, conv, "adaptiveCard/action", map[string]any{
		"action": map[string]any{"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"})
	act.ReplyToID = replyTo
	code, body := send(act)
	var ans invokeAnswer
	if code != http.StatusOK || json.Unmarshal(body, &ans) != nil {
		t.Fatalf("%s: %d %s", verb, code, body)
	}
	ans.Raw = string(body)
	return ans
}

func (e *teamsE2E) settle() {
	e.t.Helper()
	settleService(e.t, e.app)
}

func settleService(t testing.TB, a *app) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60e9)
	defer cancel()
	if err := a.svc.Drain(ctx); err != nil {
		t.Fatalf("background work: %v", err)
	}
}

// channelConv is a channel as activities name it, or a thread in it.
func channelConv(id string) teamstest.Conversation {
	return teamstest.Conversation{ID: id, Type: "channel", TeamID: tmTeam}
}

// lastCard is the latest activity with an Adaptive Card in conv whose
// card contains want.
func lastCard(fake *teamstest.Server, conv, want string) (teamstest.Posted, bool) {
	posted := fake.Activities(conv)
	for i := len(posted) - 1; i >= 0; i-- {
		if strings.Contains(string(posted[i].Card), want) {
			return posted[i], true
		}
	}
	return teamstest.Posted{}, false
}

// formData is what a client sends from the request form: its Submit
// action's data with the inputs filled in.
func formData(t testing.TB, card json.RawMessage, values map[string]string) (string, map[string]any) {
	t.Helper()
	var c struct {
		Actions []struct {
			Verb             string         `json:"verb"`
			Data             map[string]any `json:"data"`
			AssociatedInputs string         `json:"associatedInputs"`
		} `json:"actions"`
	}
	if err := json.Unmarshal(card, &c); err != nil || len(c.Actions) == 0 {
		t.Fatalf("form without actions: %s", card)
	}
	data := map[string]any{}
	for k, v := range c.Actions[0].Data {
		data[k] = v
	}
	for k, v := range values {
		data[k] = v
	}
	return c.Actions[0].Verb, data
}

// requestIn is the request id a card's refresh or buttons carry.
func requestIn(t testing.TB, card json.RawMessage) string {
	t.Helper()
	var c struct {
		Refresh struct {
			Action struct {
				Data map[string]any `json:"data"`
			} `json:"action"`
			UserIDs []string `json:"userIds"`
		} `json:"refresh"`
	}
	json.Unmarshal(card, &c)
	id, _ := c.Refresh.Action.Data["request"].(string)
	if id == "" {
		t.Fatalf("approval card without a request to refresh: %s", card)
	}
	return id
}

// TestTeamsToActiveDirectory is the whole product once on Teams: a user
// locked for real in Samba; "unlock" in the help channel sends the form
// to the technician's personal chat; the account type-ahead finds the
// user; the submitted form posts the approval card in the approvals
// channel, with its buttons for the approver only; the technician's own
// approval is refused; two approvals at once run one reset; AD is
// unlocked and the password reset; the ticket noted; the card updated and
// the thread confirmed; the password revealed once in the personal chat
// and nowhere else.
func TestTeamsToActiveDirectory(t *testing.T) {
	lab := ldaptest.AD(t)
	e := newTeamsE2E(t, lab)
	name, dn := newLabUser(t, lab)
	lab.Lock(t, dn)
	pwdBefore := lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd)
	snap, ok := e.app.orgs[0].Directory.(*typeahead.Directory)
	if !ok || snap.Refresh(context.Background()) != nil {
		t.Fatal("no type-ahead snapshot of the lab directory")
	}
	chat := e.fake.Personal(tmTech)

	if code, _ := e.send(e.fake.Message(tmTech, channelConv(tmHelp), "unlock")); code != http.StatusOK {
		t.Fatalf("unlock: %d", code)
	}
	e.settle()
	form, ok := lastCard(e.fake, chat.ID, `"Input.`)
	if !ok {
		t.Fatalf("no form in the technician's personal chat: %+v", e.fake.Activities(chat.ID))
	}
	if _, ok := lastCard(e.fake, tmHelp, "personal chat"); !ok {
		t.Error("the channel was not told where the form went")
	}

	search := e.fake.Invoke(tmTech, chat, "application/search", map[string]any{
		"queryText": name[:len(name)-2], "dataset": "account", "kind": "search", "queryOptions": map[string]any{"skip": 0, "top": 15},
		"data": map[string]any{"org": "lab"}})
	if code, body := e.send(search); code != 200 || !strings.Contains(string(body), name) || !strings.Contains(string(body), "searchResponse") {
		t.Fatalf("type-ahead did not find %s: %d %s", name, code, body)
	}

	verb, data := formData(t, form.Card, map[string]string{"org": "lab", "account": name, "mode": "", "password": "", "temporary": "false",
		"note_password": "false", "reason": "Verified by call-back to the HR number"})
	if ans := e.action(tmTech, chat, form.ID, verb, data); ans.Type != "application/vnd.microsoft.card.adaptive" || strings.Contains(ans.Raw, `"Input.`) {
		t.Fatalf("submission: %s", ans.Raw)
	}
	card, ok := lastCard(e.fake, tmApprove, name)
	if !ok {
		t.Fatalf("no approval card in the approvals channel: %+v", e.fake.Activities(tmApprove))
	}
	id := requestIn(t, card.Card)
	if strings.Contains(string(card.Card), "unlockbot.approve") || !strings.Contains(string(card.Card), tmLead.MRI) {
		t.Fatalf("the channel's card shows buttons, or its refresh does not name the approver: %s", card.Card)
	}
	thread := channelConv(tmApprove + ";messageid=" + card.ID)
	if view := e.action(tmLead, thread, card.ID, "teams.refresh", map[string]any{"request": id}); !strings.Contains(view.Raw, "unlockbot.approve") {
		t.Fatalf("the approver's view has no Approve: %s", view.Raw)
	}
	if view := e.action(tmTech, thread, card.ID, "teams.refresh", map[string]any{"request": id}); strings.Contains(view.Raw, "unlockbot.approve") {
		t.Fatalf("the requester's view offers Approve: %s", view.Raw)
	}

	e.action(tmTech, thread, card.ID, "unlockbot.approve", map[string]any{"request": id}) // self-approval
	e.settle()
	if _, ok := lastCard(e.fake, chat.ID, "someone else"); !ok {
		t.Fatalf("self-approval not refused to the technician: %+v", e.fake.Activities(chat.ID))
	}
	var wg sync.WaitGroup
	for range 2 { // a double click, or two approvers at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.action(tmLead, thread, card.ID, "unlockbot.approve", map[string]any{"request": id})
		}()
	}
	wg.Wait()
	e.settle()

	if lab.Locked(t, dn) {
		t.Fatal("the account is still locked in AD")
	}
	if got := lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd); got != pwdBefore+1 {
		t.Fatalf("unicodePwd written %d times, want once", got-pwdBefore)
	}
	if err := lab.Bind(dn, lab.UserPassword); err == nil {
		t.Fatal("the old password still binds")
	}
	updated, _ := e.fake.Activity(tmApprove, card.ID)
	if updated.Versions < 2 || !strings.Contains(string(updated.Card), "Done") || strings.Contains(string(updated.Card), "unlockbot.approve") {
		t.Fatalf("approval card not updated with the outcome: %d versions %s", updated.Versions, updated.Card)
	}
	if _, ok := lastCard(e.fake, tmApprove, "Reset complete"); !ok {
		t.Fatal("no confirmation in the thread")
	}
	if note := ticketNote(t, e.app, id); !strings.Contains(note, "Chat: https://teams.microsoft.com/l/message/"+tmApprove+"/"+card.ID+"?") || !strings.Contains(note, "Approved by: "+tmLead.Name) {
		t.Fatalf("the ticket note does not link the Teams thread or name the approver:\n%s", note)
	}

	notice, ok := lastCard(e.fake, chat.ID, "unlockbot.reveal")
	if !ok {
		t.Fatalf("no Reveal in the technician's personal chat: %+v", e.fake.Activities(chat.ID))
	}
	shown := e.action(tmTech, chat, notice.ID, "unlockbot.reveal", map[string]any{"request": id})
	pw := passwordInCard(t, shown.Value, lab, dn)
	if pw == "" {
		t.Fatalf("the reveal did not carry a password that binds: %s", shown.Raw)
	}
	if again := e.action(tmTech, chat, notice.ID, "unlockbot.reveal", map[string]any{"request": id}); strings.Contains(again.Raw, pw) || !strings.Contains(again.Raw, "only once") {
		t.Fatalf("second reveal: %s", again.Raw)
	}
	e.settle()

	// The same events as on Slack, in order, each valid and in one chain:
	// the second approval click of the pair and the second reveal change
	// nothing, so they add no event.
	trailText, _ := os.ReadFile(e.audit)
	got := typesFor(trailOf(t, e.audit), id)
	want := []string{"request.submitted", "request.decision_refused", "request.approved", "reset.started", "reset.write_started",
		"reset.password_set", "reset.verified", "ticket.created", "ticket.noted", "ticket.resolved", "reset.completed", "request.delivered",
		"password.revealed"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("events of the request:\n got %q\nwant %q", got, want)
	}
	// The password went out once: in the reveal's answer.
	e.mu.Lock()
	sent := append(e.fake.Bodies(), e.answers...)
	e.mu.Unlock()
	n := 0
	for _, b := range sent {
		if strings.Contains(b, pw) {
			n++
		}
	}
	if n != 1 || strings.Contains(e.logs.String(), pw) || strings.Contains(string(trailText), pw) {
		t.Fatalf("the password is in %d bodies (want 1), or in the log or the trail", n)
	}
}

// passwordInCard tries each word of the reveal card as the password and
// returns the one the directory accepts.
func passwordInCard(t *testing.T, card json.RawMessage, lab *ldaptest.Server, dn string) string {
	t.Helper()
	return passwordInView(t, string(card), lab, dn)
}

// ticketNote is unlockbot's internal note on the request's ticket (local
// tickets in Redis).
func ticketNote(t *testing.T, a *app, id string) string {
	t.Helper()
	r, err := a.svc.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	tk := a.orgs[0].Tickets
	if w, ok := tk.(interface{ Unwrap() psa.Tickets }); ok { // timed for /metrics
		tk = w.Unwrap()
	}
	lt, ok := tk.(*local.Tickets)
	if !ok {
		t.Fatalf("the org's tickets are %T, not local", a.orgs[0].Tickets)
	}
	notes, err := lt.Notes(context.Background(), r.Steps.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range notes {
		if n.Internal && n.Key == id+":note" {
			return n.Text
		}
	}
	t.Fatalf("no unlockbot note on ticket %s: %+v", r.Steps.TicketID, notes)
	return ""
}
