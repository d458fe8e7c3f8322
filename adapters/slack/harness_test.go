package slack

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

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/adapters/adaptertest"
	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
	"github.com/unlockbot/unlockbot/psa/local"
)

const (
	testSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	testToken  = "xoxb-1-test-token"

	uTech     = "UTECH"  // technician
	uApprover = "UAPPR"  // technician and approver (through group SAPPR)
	uOther    = "UOTHER" // neither
	gApprover = "SAPPR"

	teamID = slacktest.DefaultTeamID // the workspace the adapter serves
	appID  = slacktest.DefaultAppID

	chAcme      = "CACME"
	chApprovals = "CAPPROVALS"
	dmTech      = "DTECH"
)

// syncBuffer collects the log and audit trail the service's goroutines
// write while the test reads them.
type syncBuffer = adaptertest.Buffer

type clock struct {
	mu sync.Mutex
	d  time.Duration
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.d) }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.d += d
}

// env is a Service on a memory directory and local tickets, the adapter in
// front of it, and the fake Slack behind it.
type env struct {
	t       testing.TB
	fake    *slacktest.Server
	a       *Adapter
	svc     *bot.Service
	st      store.Store
	dir     *memory.Directory
	mux     *http.ServeMux
	logs    *syncBuffer
	audit   *syncBuffer
	botTime *clock
	trigger atomic.Int64
}

func users() []memory.User {
	u := func(name string, locked bool) memory.User {
		m := memory.User{Account: identity.Account{Username: name, DisplayName: strings.ToUpper(name[:1]) + name[1:] + " Person", InScope: true}, Password: "Old-Passw0rd!"}
		m.Lock.Locked = locked
		return m
	}
	admin := u("dadmin", true)
	admin.ProtectedGroups = []string{"Domain Admins"}
	return []memory.User{u("alice", true), u("bob", false), u("carol", true), admin}
}

func newEnv(t testing.TB, st store.Store) *env {
	t.Helper()
	return newEnvWith(t, st, nil)
}

// newEnvWith is newEnv with the adapter's config edited first.
func newEnvWith(t testing.TB, st store.Store, edit func(*Config)) *env {
	t.Helper()
	if st == nil {
		st = memstore.New()
	}
	e := &env{t: t, st: st, dir: memory.New(users()...), logs: &syncBuffer{}, audit: &syncBuffer{}, botTime: &clock{}, mux: http.NewServeMux()}
	e.fake = slacktest.New(t, testToken)
	e.fake.SetGroup(gApprover, uApprover)
	sealer := bot.NewEphemeralSealer()
	org := &bot.Org{
		ID: "acme", Name: "Acme", Directory: e.dir, Tickets: local.New(store.Values{Store: st}, "acme", sealer.SealBytes), PSACompanyID: "acme-co",
		Policy:          bot.Policy{RequireApproval: true},
		Technicians:     []string{"slack:" + teamID + ":" + uTech, "slack:" + teamID + ":" + gApprover},
		Approvers:       []string{"slack:" + teamID + ":" + gApprover},
		Channels:        []string{"slack:" + chAcme},
		ApprovalChannel: map[string]string{"slack": chApprovals},
	}
	log := zerolog.New(e.logs).Level(zerolog.DebugLevel)
	svc, err := bot.New(bot.Config{Store: st, Sealer: sealer, Audit: jsonl.New(e.audit, nil), Orgs: []*bot.Org{org}, Log: log, Now: e.botTime.now, Lease: time.Minute,
		RunTries: 1}) // an injected failure fails the reset at once
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	cfg := Config{
		BotToken: identity.NewSecret(testToken), SigningSecret: identity.NewSecret(testSecret),
		APIURL: e.fake.APIURL(), Service: svc, Store: st, Log: log, TeamID: teamID, AppID: appID,
		UserGroups: UserGroups(bot.RoleHolders([]*bot.Org{org}, Platform)),
		// Fast enough for flow tests; pace_test.go tests the pace itself.
		ChannelInterval: time.Millisecond,
	}
	if edit != nil {
		edit(&cfg)
	}
	e.a, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.a.Routes(e.mux)
	return e
}

// send posts a signed form to path, signed at ts.
func (e *env) sendAt(path string, form url.Values, ts time.Time, hdr http.Header) *httptest.ResponseRecorder {
	body := form.Encode()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sts := strconv.FormatInt(ts.Unix(), 10)
	r.Header.Set("X-Slack-Request-Timestamp", sts)
	r.Header.Set("X-Slack-Signature", Sign(testSecret, sts, []byte(body)))
	for k, v := range hdr {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r)
	return w
}

func (e *env) send(path string, form url.Values) *httptest.ResponseRecorder {
	return e.sendAt(path, form, time.Now(), nil)
}

func (e *env) nextTrigger() string {
	return fmt.Sprintf("T%d.%d", time.Now().UnixNano(), e.trigger.Add(1))
}

func (e *env) command(user, channel, text string) url.Values {
	return url.Values{"command": {"/unlock"}, "text": {text}, "user_id": {user}, "user_name": {strings.ToLower(user)},
		"channel_id": {channel}, "team_id": {teamID}, "team_domain": {"test"}, "api_app_id": {appID}, "trigger_id": {e.nextTrigger()}, "response_url": {"https://hooks.example/cmd"}}
}

// payload form-encodes an interaction payload as Slack posts it, from our
// workspace and app unless v names others.
func payload(v any) url.Values {
	if m, ok := v.(map[string]any); ok {
		if _, ok := m["team"]; !ok {
			m["team"] = map[string]any{"id": teamID, "domain": "test"}
		}
		if _, ok := m["api_app_id"]; !ok {
			m["api_app_id"] = appID
		}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return url.Values{"payload": {string(raw)}}
}

func user(id string) map[string]any {
	return map[string]any{"id": id, "name": strings.ToLower(id), "team_id": teamID}
}

func sel(v string) map[string]any {
	return map[string]any{"type": "static_select", "selected_option": map[string]any{"value": v, "text": map[string]any{"type": "plain_text", "text": v}}}
}

// form is what a technician fills in.
type form struct {
	org, mode, ticket, account, password, reason string
	temporary, note                              bool
}

func (e *env) submission(who string, f form) url.Values {
	vals := map[string]any{}
	put := func(id bot.FieldID, v map[string]any) { vals[string(id)] = map[string]any{string(id): v} }
	if f.org != "" {
		put(bot.FieldOrg, sel(f.org))
	}
	if f.mode != "" {
		put(bot.FieldMode, sel(f.mode))
	}
	if f.ticket != "" {
		put(bot.FieldTicket, sel(f.ticket))
	}
	if f.account != "" {
		put(bot.FieldAccount, sel(f.account))
	}
	put(bot.FieldPassword, map[string]any{"type": "plain_text_input", "value": f.password})
	box := func(on bool) map[string]any {
		o := []any{}
		if on {
			o = append(o, map[string]any{"value": bot.CheckedValue})
		}
		return map[string]any{"type": "checkboxes", "selected_options": o}
	}
	put(bot.FieldTemporary, box(f.temporary))
	put(bot.FieldNote, box(f.note))
	put(bot.FieldReason, map[string]any{"type": "plain_text_input", "value": f.reason})
	return payload(map[string]any{
		"type": "view_submission", "user": user(who), "trigger_id": e.nextTrigger(),
		"view": map[string]any{"id": "VREQ", "type": "modal", "callback_id": string(bot.FormRequest), "private_metadata": chAcme, "state": map[string]any{"values": vals}},
	})
}

func (e *env) click(who, channel string, action bot.ActionID, requestID string) url.Values {
	return payload(map[string]any{
		"type": "block_actions", "user": user(who), "trigger_id": e.nextTrigger(),
		"channel":   map[string]any{"id": channel},
		"container": map[string]any{"type": "message", "channel_id": channel, "message_ts": "1700000000.000001"},
		"actions":   []any{map[string]any{"type": "button", "action_id": string(action), "block_id": "actions", "value": requestID, "action_ts": "1"}},
	})
}

func (e *env) denySubmission(who, meta, reason string) url.Values {
	return payload(map[string]any{
		"type": "view_submission", "user": user(who), "trigger_id": e.nextTrigger(),
		"view": map[string]any{"id": "VDENY", "type": "modal", "callback_id": string(bot.FormDeny), "private_metadata": meta,
			"state": map[string]any{"values": map[string]any{string(bot.FieldDenyReason): map[string]any{string(bot.FieldDenyReason): map[string]any{"type": "plain_text_input", "value": reason}}}}},
	})
}

func (e *env) suggestion(who, field, query, org string) url.Values {
	vals := map[string]any{}
	if org != "" {
		vals[string(bot.FieldOrg)] = map[string]any{string(bot.FieldOrg): sel(org)}
	}
	return payload(map[string]any{
		"type": "block_suggestion", "user": user(who), "action_id": field, "block_id": field, "value": query,
		"view": map[string]any{"id": "VREQ", "callback_id": string(bot.FormRequest), "state": map[string]any{"values": vals}},
	})
}

// wait lets work started after an ack finish.
func (e *env) wait() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.a.Shutdown(ctx); err != nil {
		e.t.Fatalf("background work did not finish: %v", err)
	}
}

func (e *env) mustOK(w *httptest.ResponseRecorder) string {
	e.t.Helper()
	if w.Code != http.StatusOK {
		e.t.Fatalf("status %d, body %q", w.Code, w.Body.String())
	}
	return w.Body.String()
}

// submitOK runs a valid submission for alice and returns the request id
// from the Approve button of the approval message.
func (e *env) submitOK(who string, f form) (string, slacktest.Call) {
	e.t.Helper()
	before := len(e.fake.Calls("chat.postMessage"))
	body := e.mustOK(e.send("/slack/interactions", e.submission(who, f)))
	if !strings.Contains(body, `"response_action":"clear"`) {
		e.t.Fatalf("submission answer %s, want clear", body)
	}
	posts := e.fake.Calls("chat.postMessage")
	if len(posts) != before+1 {
		e.t.Fatalf("%d approval posts, want 1", len(posts)-before)
	}
	p := posts[len(posts)-1]
	if p.Str("channel") != chApprovals {
		e.t.Fatalf("approval posted to %q, want %s", p.Str("channel"), chApprovals)
	}
	id := buttonValue(p, bot.ActionApprove)
	if id == "" {
		e.t.Fatalf("approval message has no Approve button: %s", p.Body)
	}
	return id, p
}

// buttons lists "action_id=value" of every button in a call's blocks.
func buttons(c slacktest.Call) []string {
	var out []string
	blocks, _ := c.Args["blocks"].([]any)
	for _, b := range blocks {
		m, _ := b.(map[string]any)
		els, _ := m["elements"].([]any)
		for _, el := range els {
			em, _ := el.(map[string]any)
			if em["type"] == "button" {
				out = append(out, fmt.Sprint(em["action_id"], "=", em["value"]))
			}
		}
	}
	return out
}

func buttonValue(c slacktest.Call, id bot.ActionID) string {
	for _, b := range buttons(c) {
		if v, ok := strings.CutPrefix(b, string(id)+"="); ok {
			return v
		}
	}
	return ""
}

func validForm() form {
	return form{org: "acme", account: "alice", temporary: true, reason: "Called back on the HR phone number"}
}

// stores runs fn on memstore and on real Redis.
func stores(t *testing.T, fn func(t *testing.T, st storeT)) {
	t.Run("memory", func(t *testing.T) { fn(t, memstore.New()) })
	t.Run("redis", func(t *testing.T) { fn(t, storetest.NewRedisStore(t)) })
}

type storeT = store.Store

var identityNewSecret = identity.NewSecret

func identityUnavailable() error {
	return identity.E("test.SetPassword", identity.KindUnavailable, "The domain controller did not answer.", nil)
}
