package teams_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/adaptertest"
	"github.com/unlockbot/unlockbot/adapters/teams"
	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/identity"
)

// The driver is an external test package: it uses only what cmd uses
// (New, Routes, Shutdown), so the adapter's insides can change freely.

const (
	chAcme      = "19:acme0general@thread.tacv2"
	chApprovals = "19:acme0approvals@thread.tacv2"
	teamID      = "19:acme0team@thread.tacv2"
)

// watcher is a second approver the suite does not know: the driver reads
// approval cards through their eyes. Teams shows the buttons only to who
// may press them, and in a scenario where the Approver asked for the
// reset they see none; a forged click from them must still be refused,
// so the driver needs the buttons an approver sees.
var watcher = teamstest.User{MRI: "29:1watch", AADObjectID: "0b7a2f0e-4444-4a4a-9b9b-00000000000d", Name: "Wanda Watcher"}

var people = map[adaptertest.User]teamstest.User{
	adaptertest.Technician: {MRI: "29:1tech", AADObjectID: "0b7a2f0e-1111-4a4a-9b9b-00000000000a", Name: "Tess Tech"},
	adaptertest.Approver:   {MRI: "29:1appr", AADObjectID: "0b7a2f0e-2222-4a4a-9b9b-00000000000b", Name: "Abe Approver"},
	adaptertest.Outsider:   {MRI: "29:1other", AADObjectID: "0b7a2f0e-3333-4a4a-9b9b-00000000000c", Name: "Otto Other"},
}

// TestContract runs the adapter contract suite on Teams: signed
// activities into the adapter's endpoint, the strict Bot Framework fake
// behind it.
func TestContract(t *testing.T) {
	adaptertest.Run(t, bindings(), func(t *testing.T, env *adaptertest.Env) adaptertest.Platform { return newContractTeams(t, env) })
}

// bindings name the suite's people by Entra object id in the fake's tenant.
func bindings() adaptertest.Bindings {
	q := func(u adaptertest.User) string {
		return teams.Platform + ":" + teamstest.DefaultTenantID + ":" + people[u].AADObjectID
	}
	return adaptertest.Bindings{
		Platform:        teams.Platform,
		Technicians:     []string{q(adaptertest.Technician), q(adaptertest.Approver)},
		Approvers:       []string{q(adaptertest.Approver), teams.Platform + ":" + teamstest.DefaultTenantID + ":" + watcher.AADObjectID},
		Channels:        []string{teams.Platform + ":" + chAcme},
		ApprovalChannel: chApprovals,
	}
}

// contractTeams is the Teams driver of adaptertest.Platform.
type contractTeams struct {
	env  *adaptertest.Env
	fake *teamstest.Server
	a    *teams.Adapter
	mux  *http.ServeMux
	acme teamstest.Conversation

	mu      sync.Mutex
	forms   map[string]shownForm // Form.Ref → the card it is
	windows map[adaptertest.User][]adaptertest.Message
	nForms  int
}

// shownForm is a form card where a person sees it: the conversation and
// the activity it sits on (an answer replaces the card it answered).
type shownForm struct {
	conv     teamstest.Conversation
	activity string
	card     json.RawMessage
}

func newContractTeams(t testing.TB, env *adaptertest.Env, opts ...teamstest.Options) *contractTeams {
	return newContractTeamsWith(t, env, func(*teams.Config) {}, opts...)
}

// newContractTeamsWith is the driver on an adapter whose config change
// adjusts first.
func newContractTeamsWith(t testing.TB, env *adaptertest.Env, change func(*teams.Config), opts ...teamstest.Options) *contractTeams {
	fake := teamstest.New(t, append(opts, teamstest.Options{})[0])
	for _, p := range people {
		fake.AddUser(p)
	}
	fake.AddUser(watcher)
	c := &contractTeams{env: env, fake: fake, mux: http.NewServeMux(), forms: map[string]shownForm{}, windows: map[adaptertest.User][]adaptertest.Message{}}
	c.acme = fake.AddChannel(chAcme, teamID)
	fake.AddChannel(chApprovals, teamID)
	o := fake.Options()
	cfg := teams.Config{
		AppID: o.AppID, AppPassword: identity.NewSecret(o.AppPassword), TenantID: o.TenantID,
		MetadataURL: fake.MetadataURL(), AuthorityURL: fake.AuthorityURL(),
		ServiceURLHosts: []string{"127.0.0.1"}, DefaultServiceURL: fake.ServiceURL(),
		Service: env.Service, Store: env.Store, Log: env.Log, HTTPClient: fake.Client(),
	}
	change(&cfg)
	a, err := teams.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.a = a
	a.Routes(c.mux)
	t.Cleanup(func() { c.drain(t) })
	return c
}

// invoke delivers an adaptiveCard/action from u on the activity at
// (conv, replyTo) and returns the adapter's answer.
func (c *contractTeams) invoke(t *testing.T, u adaptertest.User, conv teamstest.Conversation, replyTo, verb string, data map[string]any, trigger string) (answer, bool) {
	t.Helper()
	return c.invokeAs(t, people[u], conv, replyTo, verb, data, trigger)
}

func (c *contractTeams) invokeAs(t *testing.T, who teamstest.User, conv teamstest.Conversation, replyTo, verb string, data map[string]any, trigger string) (answer, bool) {
	t.Helper()
	act := c.fake.Invoke(who, conv, "adaptiveCard/action", map[string]any{
		"action":  map[string]any{"type": "Action.Execute", "verb": verb, "data": data},
		"trigger": trigger,
	})
	act.ReplyToID = replyTo
	code, body := c.fake.Deliver(c.mux, act)
	if code != http.StatusOK {
		t.Errorf("%s answered %d %s", verb, code, body)
		return answer{}, false
	}
	var ans answer
	if err := json.Unmarshal(body, &ans); err != nil || ans.StatusCode != http.StatusOK {
		t.Errorf("%s answer %s: %v", verb, body, err)
		return answer{}, false
	}
	// Teams renders an answer's card as it renders a posted one: it must
	// pass the same schema the fake connector holds posted cards to.
	if ans.Type == typeCard {
		if err := teamstest.ValidateCard(ans.Value); err != nil {
			t.Errorf("%s answered a card Teams would not render: %v", verb, err)
		}
	}
	return ans, true
}

// answer is an invoke response as Teams reads it.
type answer struct {
	StatusCode int             `json:"statusCode"`
	Type       string          `json:"type"`
	Value      json.RawMessage `json:"value"`
}

const (
	typeCard    = "application/vnd.microsoft.card.adaptive"
	typeMessage = "application/vnd.microsoft.activity.message"
)

func (c *contractTeams) Command(t *testing.T, u adaptertest.User, args string) adaptertest.Form {
	t.Helper()
	personal := c.fake.Personal(people[u])
	before := len(c.fake.Activities(personal.ID))
	code, body := c.fake.Deliver(c.mux, c.fake.Message(people[u], c.acme, strings.TrimSpace("unlock "+args)))
	if code != http.StatusOK || len(body) != 0 {
		t.Fatalf("command answered %d %q, want an empty 200", code, body)
	}
	c.Wait(t)
	posted := c.fake.Activities(personal.ID)
	for i := len(posted) - 1; i >= before; i-- {
		if p := posted[i]; len(p.Card) > 0 && len(readCard(t, p.Card, nil).inputs) > 0 {
			return c.keepForm(t, personal, p.ID, p.Card)
		}
	}
	t.Fatalf("the command sent no form to the personal chat (posted: %+v)", posted[before:])
	return adaptertest.Form{}
}

func (c *contractTeams) keepForm(t *testing.T, conv teamstest.Conversation, activity string, card json.RawMessage) adaptertest.Form {
	t.Helper()
	rc := readCard(t, card, nil)
	c.mu.Lock()
	c.nForms++
	ref := conv.ID + "|" + activity + "|" + strconv.Itoa(c.nForms)
	c.forms[ref] = shownForm{conv: conv, activity: activity, card: card}
	c.mu.Unlock()
	return adaptertest.Form{Title: rc.msg.Title, Inputs: rc.inputs, Ref: ref}
}

func (c *contractTeams) Submit(t *testing.T, u adaptertest.User, f adaptertest.Form, values map[bot.FieldID]string) map[bot.FieldID]string {
	t.Helper()
	c.mu.Lock()
	sf, ok := c.forms[f.Ref]
	c.mu.Unlock()
	if !ok {
		t.Fatalf("no form %q was shown", f.Ref)
	}
	rc := readCard(t, sf.card, nil)
	if rc.submit == nil {
		t.Fatalf("the form has no Submit action: %s", sf.card)
	}
	data := map[string]any{}
	for k, v := range rc.submit.Data {
		data[k] = v
	}
	for id := range values {
		if _, ok := rc.input(id); !ok {
			t.Fatalf("the form has no field %q", id)
		}
	}
	for _, in := range rc.rawInputs {
		v := values[bot.FieldID(in.ID)]
		if in.Type == "Input.Toggle" {
			if v != "" {
				v = in.ValueOn
			} else {
				v = in.ValueOff
			}
		}
		data[in.ID] = v
	}
	ans, ok := c.invoke(t, u, sf.conv, sf.activity, rc.submit.Verb, data, "manual")
	if !ok {
		t.FailNow()
	}
	if ans.Type != typeCard {
		t.Fatalf("submission answered %s %s", ans.Type, ans.Value)
	}
	back := readCard(t, ans.Value, nil)
	if len(back.inputs) == 0 {
		return nil // the form gave way to what happens next
	}
	if len(back.errors) == 0 {
		t.Fatalf("the form came back without an error: %s", ans.Value)
	}
	return back.errors
}

func (c *contractTeams) Click(t *testing.T, u adaptertest.User, msg adaptertest.Message, action bot.ActionID) *adaptertest.Form {
	t.Helper()
	b, ok := msg.Button(action)
	if !ok {
		t.Errorf("no %s button on %+v", action, msg)
		return nil
	}
	conv, activity := c.refOf(t, msg.Ref)
	ans, ok := c.invoke(t, u, conv, activity, string(action), map[string]any{"request": b.RequestID}, "manual")
	if !ok {
		return nil
	}
	switch ans.Type {
	case typeMessage:
		var text string
		_ = json.Unmarshal(ans.Value, &text)
		c.addWindow(u, adaptertest.Message{Text: text})
	case typeCard:
		rc := readCard(t, ans.Value, c.roles())
		if len(rc.inputs) > 0 {
			f := c.keepForm(t, conv, activity, ans.Value)
			return &f
		}
		if conv.Type == "personal" { // a window over a private message (the password)
			c.addWindow(u, rc.msg)
		}
	default:
		t.Errorf("click answered %s", ans.Type)
	}
	return nil
}

func (c *contractTeams) addWindow(u adaptertest.User, m adaptertest.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.windows[u] = append(c.windows[u], m)
}

// refOf reads a Message.Ref: the conversation and the activity.
func (c *contractTeams) refOf(t *testing.T, ref string) (teamstest.Conversation, string) {
	conv, activity, _ := strings.Cut(ref, "|")
	if strings.HasPrefix(conv, "a:") {
		for _, p := range people {
			if pc := c.fake.Personal(p); pc.ID == conv {
				return pc, activity
			}
		}
		t.Fatalf("unknown personal chat %q", conv)
	}
	return teamstest.Conversation{ID: conv, Type: "channel", TeamID: teamID}, activity
}

func (c *contractTeams) Wait(t *testing.T) { t.Helper(); c.drain(t) }

func (c *contractTeams) drain(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.a.Shutdown(ctx); err != nil {
		t.Fatalf("the adapter's work did not finish: %v", err)
	}
}

// roles maps the ids a card may mention to the suite's roles.
func (c *contractTeams) roles() map[string]string {
	m := map[string]string{}
	for role, p := range people {
		m[p.AADObjectID], m[p.MRI] = string(role), string(role)
	}
	return m
}

// Approvals reads the approval channel's threads. Each card is read as
// an approver sees it: the channel's card shows the status, and a client
// listed in its refresh asks the bot for its own view, as Teams does.
func (c *contractTeams) Approvals(t *testing.T) []adaptertest.Message {
	t.Helper()
	var cards []adaptertest.Message
	replies := map[string][]adaptertest.Message{}
	var roots []teamstest.Posted
	for _, p := range c.fake.Activities(chApprovals) {
		if root := threadRoot(p); root != "" && root != p.ID {
			replies[root] = append(replies[root], readCard(t, p.Card, c.roles()).msg)
			continue
		}
		roots = append(roots, p)
	}
	for _, p := range roots {
		thread := chApprovals + ";messageid=" + p.ID
		m := c.approverView(t, p, thread)
		m.Ref = thread + "|" + p.ID
		m.Replies = replies[p.ID]
		cards = append(cards, m)
	}
	return cards
}

func (c *contractTeams) approverView(t *testing.T, p teamstest.Posted, thread string) adaptertest.Message {
	t.Helper()
	rc := readCard(t, p.Card, c.roles())
	if rc.refresh == nil || !contains(rc.refreshUsers, watcher.MRI) {
		return rc.msg
	}
	conv := teamstest.Conversation{ID: thread, Type: "channel", TeamID: teamID}
	ans, ok := c.invokeAs(t, watcher, conv, p.ID, rc.refresh.Verb, rc.refresh.Data, "automatic")
	if !ok || ans.Type != typeCard {
		t.Fatalf("the approver's refresh answered %s %s", ans.Type, ans.Value)
	}
	return readCard(t, ans.Value, c.roles()).msg
}

// threadRoot is the activity a channel post hangs under ("" for a root).
func threadRoot(p teamstest.Posted) string {
	if _, root, ok := strings.Cut(p.ConversationID, ";messageid="); ok {
		return root
	}
	return p.ReplyToID
}

func (c *contractTeams) Private(t *testing.T, u adaptertest.User) []adaptertest.Message {
	t.Helper()
	personal := c.fake.Personal(people[u])
	var out []adaptertest.Message
	for _, p := range c.fake.Activities(personal.ID) {
		if len(p.Card) == 0 {
			out = append(out, adaptertest.Message{Text: p.Text, Ref: personal.ID + "|" + p.ID})
			continue
		}
		rc := readCard(t, p.Card, c.roles())
		if len(rc.inputs) > 0 {
			continue // a form, not something told
		}
		rc.msg.Ref = personal.ID + "|" + p.ID
		out = append(out, rc.msg)
	}
	c.mu.Lock()
	out = append(out, c.windows[u]...)
	c.mu.Unlock()
	return out
}

func (c *contractTeams) Sent(t *testing.T) []string { return c.fake.Bodies() }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
