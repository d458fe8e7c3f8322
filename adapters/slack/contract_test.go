package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/adaptertest"
	"github.com/unlockbot/unlockbot/adapters/slack"
	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/identity"
)

// The driver is an external test package: it uses only what cmd uses
// (New, Routes, Shutdown, Sign), so a refactor of the adapter's insides
// cannot break it or collide with its names.

const (
	secret = "8f742231b10e8888abcd99yyyzzz85a5"
	token  = "xoxb-1-contract-token"
	team   = slacktest.DefaultTeamID
	app    = slacktest.DefaultAppID

	uTech, uApprover, uOther = "UTECH", "UAPPR", "UOTHER"
	gApprover                = "SAPPR" // the approvers' user group; the approver is in it
	chAcme, chApprovals      = "CACME", "CAPPROVALS"
)

// TestContract runs the adapter contract suite on Slack: signed requests
// into the adapter's routes, the strict fake behind it.
func TestContract(t *testing.T) {
	q := func(id string) string { return slack.Platform + ":" + team + ":" + id }
	adaptertest.Run(t, adaptertest.Bindings{
		Platform:        slack.Platform,
		Technicians:     []string{q(uTech), q(gApprover)},
		Approvers:       []string{q(gApprover)},
		Channels:        []string{slack.Platform + ":" + chAcme},
		ApprovalChannel: chApprovals,
	}, newContractSlack)
}

// contractSlack is the Slack driver of adaptertest.Platform.
type contractSlack struct {
	fake *slacktest.Server
	a    *slack.Adapter
	mux  *http.ServeMux
	wire *wireLog
	ids  map[adaptertest.User]string
	read reader

	mu       sync.Mutex
	answers  []string          // bodies of the adapter's answers to Slack
	triggers map[string]string // trigger id → the user whose action made it
	n        atomic.Int64
}

func newContractSlack(t *testing.T, env *adaptertest.Env) adaptertest.Platform {
	s := &contractSlack{
		fake: slacktest.New(t, token), mux: http.NewServeMux(), wire: &wireLog{}, triggers: map[string]string{},
		ids: map[adaptertest.User]string{adaptertest.Technician: uTech, adaptertest.Approver: uApprover, adaptertest.Outsider: uOther},
	}
	s.read = reader{}
	for role, id := range s.ids {
		s.read[id] = role
	}
	s.fake.SetGroup(gApprover, uApprover)
	a, err := slack.New(slack.Config{
		BotToken: identity.NewSecret(token), SigningSecret: identity.NewSecret(secret),
		APIURL: s.fake.APIURL(), Service: env.Service, Store: env.Store, Log: env.Log, TeamID: team, AppID: app,
		UserGroups: []string{gApprover}, HTTPClient: &http.Client{Transport: s.wire, Timeout: 10 * time.Second},
		ChannelInterval: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.a = a
	a.Routes(s.mux)
	t.Cleanup(func() { s.Wait(t) })
	return s
}

// send posts a form to one of the adapter's routes, signed as Slack signs.
func (s *contractSlack) send(path string, form url.Values) (int, string) {
	body := form.Encode()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", slack.Sign(secret, ts, []byte(body)))
	w := httptest.NewRecorder()
	s.mux.ServeHTTP(w, r)
	s.mu.Lock()
	s.answers = append(s.answers, w.Body.String())
	s.mu.Unlock()
	return w.Code, w.Body.String()
}

func (s *contractSlack) trigger(userID string) string {
	id := fmt.Sprintf("%d.%d.contract", time.Now().UnixNano(), s.n.Add(1))
	s.mu.Lock()
	s.triggers[id] = userID
	s.mu.Unlock()
	return id
}

func (s *contractSlack) userOf(trigger string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.triggers[trigger]
}

// opened is the views.open the action with trigger caused, if any.
func (s *contractSlack) opened(trigger string) (exchange, bool) {
	for _, x := range s.wire.all() {
		if x.Method == "views.open" && arg(x.Req, "trigger_id") == trigger {
			return x, true
		}
	}
	return exchange{}, false
}

func (s *contractSlack) form(x exchange) adaptertest.Form {
	v := obj(x.Req["view"])
	return adaptertest.Form{Title: text(v["title"]), Inputs: inputs(v), Ref: arg(x.Req, "trigger_id")}
}

func (s *contractSlack) Command(t *testing.T, u adaptertest.User, args string) adaptertest.Form {
	t.Helper()
	id, trig := s.ids[u], s.trigger(s.ids[u])
	code, body := s.send("/slack/commands", url.Values{"command": {"/unlock"}, "text": {args}, "user_id": {id}, "user_name": {strings.ToLower(id)},
		"channel_id": {chAcme}, "team_id": {team}, "team_domain": {"test"}, "api_app_id": {app}, "trigger_id": {trig}, "response_url": {"https://hooks.example/cmd"}})
	if code != http.StatusOK || body != "" {
		t.Fatalf("command answered %d %q, want an empty ack", code, body)
	}
	x, ok := s.opened(trig)
	if !ok || !x.ok() {
		t.Fatalf("the command opened no form (views.open %+v)", x)
	}
	return s.form(x)
}

func (s *contractSlack) Submit(t *testing.T, u adaptertest.User, f adaptertest.Form, values map[bot.FieldID]string) map[bot.FieldID]string {
	t.Helper()
	x, ok := s.opened(f.Ref)
	if !ok {
		t.Fatalf("no view was opened for form %q", f.Ref)
	}
	v := obj(x.Req["view"])
	vals, unknown := state(v, values)
	if len(unknown) > 0 {
		t.Fatalf("the form has no fields %v", unknown)
	}
	id := s.ids[u]
	code, body := s.send("/slack/interactions", interaction(map[string]any{
		"type": "view_submission", "user": person(id), "trigger_id": s.trigger(id),
		"view": map[string]any{"id": arg(obj(x.Resp["view"]), "id"), "type": "modal", "callback_id": v["callback_id"],
			"private_metadata": v["private_metadata"], "state": map[string]any{"values": vals}},
	}))
	if code != http.StatusOK {
		t.Fatalf("submission answered %d %q", code, body)
	}
	if body == "" {
		return nil
	}
	var ans struct {
		Action string            `json:"response_action"`
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil {
		t.Fatalf("submission answer %q: %v", body, err)
	}
	switch ans.Action {
	case "clear", "update":
		return nil
	case "errors":
		out := map[bot.FieldID]string{}
		for k, m := range ans.Errors {
			out[bot.FieldID(k)] = m
		}
		return out
	}
	t.Fatalf("submission answer %q", body)
	return nil
}

func (s *contractSlack) Click(t *testing.T, u adaptertest.User, msg adaptertest.Message, action bot.ActionID) *adaptertest.Form {
	t.Helper()
	b, ok := msg.Button(action)
	if !ok {
		t.Errorf("no %s button on %+v", action, msg)
		return nil
	}
	ch, ts, _ := strings.Cut(msg.Ref, " ")
	block := "actions"
	if m, ok := s.fake.Message(ch, ts); ok {
		block = blockOf(m.Blocks, string(action))
	}
	id := s.ids[u]
	trig := s.trigger(id)
	code, body := s.send("/slack/interactions", interaction(map[string]any{
		"type": "block_actions", "user": person(id), "trigger_id": trig,
		"channel":   map[string]any{"id": ch},
		"container": map[string]any{"type": "message", "channel_id": ch, "message_ts": ts},
		"actions":   []any{map[string]any{"type": "button", "action_id": string(action), "block_id": block, "value": b.RequestID, "action_ts": ts}},
	}))
	if code != http.StatusOK {
		t.Errorf("click answered %d %q", code, body)
		return nil
	}
	if x, ok := s.opened(trig); ok && x.ok() && len(inputs(obj(x.Req["view"]))) > 0 {
		f := s.form(x)
		return &f
	}
	return nil
}

// blockOf is the block id of the button with action, as Slack reports it.
func blockOf(blocks []any, action string) string {
	for _, b := range blocks {
		for _, el := range list(obj(b)["elements"]) {
			if obj(el)["action_id"] == action {
				id, _ := obj(b)["block_id"].(string)
				return id
			}
		}
	}
	return ""
}

func (s *contractSlack) Wait(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.a.Shutdown(ctx); err != nil {
		t.Fatalf("the adapter's work did not finish: %v", err)
	}
}

// posted reads a message the adapter posted in its latest state (chat.update
// applied), as the fake holds it.
func (s *contractSlack) posted(t *testing.T, x exchange) adaptertest.Message {
	ch, ts := arg(x.Resp, "channel"), arg(x.Resp, "ts")
	m, ok := s.fake.Message(ch, ts)
	if !ok {
		t.Fatalf("the fake lost message %s %s", ch, ts)
	}
	out := s.read.message("", m.Blocks, m.Text)
	out.Ref = ch + " " + ts
	return out
}

func (s *contractSlack) Approvals(t *testing.T) []adaptertest.Message {
	t.Helper()
	var cards []adaptertest.Message
	all := s.wire.all()
	for _, x := range all {
		if x.Method != "chat.postMessage" || !x.ok() || arg(x.Req, "channel") != chApprovals || arg(x.Req, "thread_ts") != "" {
			continue
		}
		card := s.posted(t, x)
		for _, y := range all {
			if y.Method == "chat.postMessage" && y.ok() && arg(y.Req, "channel") == chApprovals && arg(y.Req, "thread_ts") == arg(x.Resp, "ts") {
				card.Replies = append(card.Replies, s.posted(t, y))
			}
		}
		cards = append(cards, card)
	}
	return cards
}

func (s *contractSlack) Private(t *testing.T, u adaptertest.User) []adaptertest.Message {
	t.Helper()
	id := s.ids[u]
	var out []adaptertest.Message
	for _, x := range s.wire.all() {
		if !x.ok() {
			continue
		}
		switch {
		case x.Method == "chat.postMessage" && arg(x.Req, "channel") == id:
			out = append(out, s.posted(t, x))
		case x.Method == "chat.postEphemeral" && arg(x.Req, "user") == id:
			out = append(out, s.read.message("", list(x.Req["blocks"]), arg(x.Req, "text")))
		case x.Method == "views.open" && s.userOf(arg(x.Req, "trigger_id")) == id:
			if v := obj(x.Req["view"]); len(inputs(v)) == 0 {
				out = append(out, s.read.message(text(v["title"]), list(v["blocks"]), ""))
			}
		}
	}
	return out
}

func (s *contractSlack) Sent(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, c := range s.fake.Calls() {
		out = append(out, c.Body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(out, s.answers...)
}

// interaction form-encodes a payload as Slack posts it, from our workspace
// and app.
func interaction(p map[string]any) url.Values {
	p["team"] = map[string]any{"id": team, "domain": "test"}
	p["api_app_id"] = app
	raw, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	return url.Values{"payload": {string(raw)}}
}

func person(id string) map[string]any {
	return map[string]any{"id": id, "name": strings.ToLower(id), "team_id": team}
}
