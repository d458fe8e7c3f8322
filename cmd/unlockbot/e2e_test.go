package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/adapters/adaptertest"
	"github.com/unlockbot/unlockbot/adapters/slack"
	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
	"github.com/unlockbot/unlockbot/identity/typeahead"
)

const (
	e2eToken   = "xoxb-e2e-0000-token"
	e2eSigning = "e2e-signing-secret"
	uTech      = "UTECH"
	uLead      = "ULEAD"
	chHelp     = "CHELP"
	chApprove  = "CAPPROVE"
)

// e2e is the production wiring (buildApp, routes, mountSlack) with Slack
// replaced by the strict fake and everything else real: Redis, Samba AD.
type e2e struct {
	t     *testing.T
	app   *app
	fake  *slacktest.Server
	srv   *httptest.Server
	stop  func(context.Context) error
	logs  *lockedBuffer
	audit string
	n     int
}

func newE2E(t *testing.T, lab *ldaptest.Server) *e2e {
	t.Helper()
	return newE2EWith(t, lab, "", "")
}

// newE2EWith is newE2E with head added to the config's top level and
// orgTail to the org "lab" (its psa block, indented four spaces).
func newE2EWith(t *testing.T, lab *ldaptest.Server, head, orgTail string) *e2e {
	t.Helper()
	return newE2EAudit(t, lab, head, orgTail, filepath.Join(t.TempDir(), "audit.jsonl"), "")
}

// newE2EAudit is newE2EWith writing the audit trail to audit, with more
// keys of the audit block in auditMore (", redis_stream: {}").
func newE2EAudit(t *testing.T, lab *ldaptest.Server, head, orgTail, audit, auditMore string) *e2e {
	t.Helper()
	t.Setenv("E2E_BIND_PASSWORD", lab.BotPassword)
	return newE2EOrgs(t, head, labOrgYAML(lab, "E2E_BIND_PASSWORD")+orgTail, audit, auditMore)
}

// newE2EOrgs is the Slack end-to-end setup with orgs as the config's orgs
// block, whatever directory they use.
func newE2EOrgs(t *testing.T, head, orgs, audit, auditMore string) *e2e {
	t.Helper()
	return newE2ERedis(t, fmt.Sprintf("redis_url: %q\nredis_prefix: \"e2e:%s:\"", storetest.RedisURL(t), rand.Text()), head, orgs, audit, auditMore)
}

// newE2ERedis is newE2EOrgs on the Redis that redis (config lines: the
// URL or redis block, and the prefix) names.
func newE2ERedis(t *testing.T, redis, head, orgs, audit, auditMore string) *e2e {
	t.Helper()
	fake := slackEnv(t, "E2E_SEAL_KEY")
	cfgYAML := fmt.Sprintf(`
%s
seal_key_env: E2E_SEAL_KEY
log_level: debug
audit: { file: %q, hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }]%s }
%s
%s
`, redis, audit, auditMore, pinned, head) + orgs
	cfg, err := ParseConfig([]byte(cfgYAML))
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
	stop, err := a.mountSlack(context.Background(), mux)
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, app: a, fake: fake, srv: httptest.NewServer(mux), stop: stop, logs: logs, audit: audit}
	t.Cleanup(func() { e.srv.Close(); a.Close() })
	return e
}

// slackEnv sets what an in-process Slack end-to-end run reads from the
// environment: a fresh seal key in sealEnv, the bot token, the signing
// secret and the strict fake's API URL. It returns the fake, where the
// group SLEADS holds uLead.
func slackEnv(t *testing.T, sealEnv string) *slacktest.Server {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	t.Setenv(sealEnv, base64.StdEncoding.EncodeToString(key))
	fake := slacktest.New(t, e2eToken)
	fake.SetGroup("SLEADS", uLead)
	t.Setenv("SLACK_BOT_TOKEN", e2eToken)
	t.Setenv("SLACK_SIGNING_SECRET", e2eSigning)
	t.Setenv("SLACK_API_URL", fake.APIURL())
	return fake
}

// lockedBuffer collects the log of a server whose handlers and background
// work write at the same time.
type lockedBuffer = adaptertest.Buffer

// post signs form like Slack and sends it to path.
func (e *e2e) post(path string, form url.Values) (int, string) {
	e.t.Helper()
	return signedPost(e.t, e.srv.URL+path, form)
}

// signedPost sends form to url signed as Slack signs it.
func signedPost(t testing.TB, url string, form url.Values) (int, string) {
	t.Helper()
	code, body, err := trySignedPost(url, form)
	if err != nil {
		t.Fatal(err)
	}
	return code, body
}

// trySignedPost is signedPost for a replica that may be gone: the
// transport error is the caller's to handle (Slack would show the user an
// error, and they would click again).
func trySignedPost(url string, form url.Values) (int, string, error) {
	body := form.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign(e2eSigning, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), err
}

func (e *e2e) trigger() string { e.n++; return fmt.Sprintf("T%d.%d", time.Now().UnixNano(), e.n) }

// jsonPayload form-encodes an interaction payload from the pinned
// workspace and app, as Slack posts it.
func jsonPayload(v map[string]any) url.Values {
	v["team"] = map[string]any{"id": slacktest.DefaultTeamID, "domain": "lab"}
	v["api_app_id"] = slacktest.DefaultAppID
	raw, _ := json.Marshal(v)
	return url.Values{"payload": {string(raw)}}
}

func (e *e2e) click(who, channel, action, id string) {
	e.t.Helper()
	if code, _ := e.post("/slack/interactions", clickPayload(who, channel, action, id)); code != http.StatusOK {
		e.t.Fatalf("click %s: %d", action, code)
	}
}

// settle waits for the work Slack's acks started (the reset) to end.
func (e *e2e) settle() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e.app.svc.Drain(ctx); err != nil {
		e.t.Fatalf("background work: %v", err)
	}
}

// newLabUser creates a fresh user under the delegated OU (as the domain
// admin, in setup only), so this test never races the directory package's
// own tests over a shared fixture.
func newLabUser(t testing.TB, lab *ldaptest.Server) (name, dn string) {
	t.Helper()
	name = ldaptest.ScratchPrefix + strings.ToLower(rand.Text()[:8]) // other tests listing accounts skip these
	dn = "CN=" + name + "," + lab.UsersDN
	admin := lab.Admin(t)
	add := goldap.NewAddRequest(dn, nil)
	add.Attribute("objectClass", []string{"top", "person", "organizationalPerson", "user"})
	add.Attribute("sAMAccountName", []string{name})
	add.Attribute("userPrincipalName", []string{name + "@example.test"})
	add.Attribute("displayName", []string{"E2e Person"})
	add.Attribute("unicodePwd", []string{string(ldaptest.UnicodePwd(lab.UserPassword))})
	add.Attribute("userAccountControl", []string{"512"})
	if err := admin.Add(add); err != nil {
		t.Fatalf("create %s: %v", dn, err)
	}
	t.Cleanup(func() { _ = lab.Admin(t).Del(goldap.NewDelRequest(dn, nil)) })
	return name, dn
}

// TestSlackToActiveDirectory is the whole product once: a technician's
// /unlock in Slack unlocks and resets a user locked for real in Samba AD,
// after a second person approves in the thread.
func TestSlackToActiveDirectory(t *testing.T) {
	lab := ldaptest.AD(t)
	e := newE2E(t, lab)
	name, dn := newLabUser(t, lab)
	lab.Lock(t, dn)
	// The account picker answers from a snapshot of the directory (as serve
	// keeps it); take one now that the user exists and is locked.
	snap, ok := e.app.orgs[0].Directory.(*typeahead.Directory)
	if !ok {
		t.Fatal("the AD directory is not wrapped with the type-ahead snapshot")
	}
	if err := snap.Refresh(context.Background()); err != nil {
		t.Fatalf("snapshot of the lab directory: %v", err)
	}

	if code, body := e.post("/slack/commands", url.Values{"command": {"/unlock"}, "text": {name}, "user_id": {uTech}, "user_name": {"tess"},
		"channel_id": {chHelp}, "team_id": {slacktest.DefaultTeamID}, "api_app_id": {slacktest.DefaultAppID}, "trigger_id": {e.trigger()}, "response_url": {"https://hooks.example/x"}}); code != 200 {
		t.Fatalf("/unlock: %d %s", code, body)
	}
	if len(e.fake.Calls("views.open")) != 1 {
		t.Fatal("the modal was not opened")
	}
	code, opts := e.post("/slack/options", jsonPayload(map[string]any{
		"type": "block_suggestion", "user": map[string]any{"id": uTech}, "action_id": "account", "block_id": "account", "value": name,
		"view": map[string]any{"id": "V1", "callback_id": "unlockbot.request", "state": map[string]any{"values": map[string]any{
			"org": map[string]any{"org": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "lab"}}}}}},
	}))
	if code != 200 || !strings.Contains(opts, name) || !strings.Contains(opts, "locked") {
		t.Fatalf("account type-ahead did not show %s as locked: %d %s", name, code, opts)
	}

	code, body := e.post("/slack/interactions", requestForm(name, "", e.trigger()))
	if code != 200 || !strings.Contains(body, "clear") {
		t.Fatalf("submission: %d %s", code, body)
	}
	posts := e.fake.Calls("chat.postMessage")
	if len(posts) == 0 || posts[0].Str("channel") != chApprove {
		t.Fatalf("no approval message in %s: %+v", chApprove, posts)
	}
	id := requestIDIn(t, posts[0].Body)

	e.click(uTech, chApprove, "unlockbot.approve", id) // self-approval: refused
	e.click(uLead, chApprove, "unlockbot.approve", id)
	e.settle()
	if lab.Locked(t, dn) {
		t.Fatal("the account is still locked in AD")
	}
	if got := lab.Attr(t, dn, "badPwdCount"); len(got) != 1 || got[0] != "0" {
		t.Fatalf("badPwdCount = %v", got)
	}
	if err := lab.Bind(dn, lab.UserPassword); err == nil {
		t.Fatal("the old password still binds")
	}
	eph := e.fake.Calls("chat.postEphemeral")
	if len(eph) != 1 || eph[0].Str("user") != uTech || !strings.Contains(eph[0].Body, "someone else") {
		t.Fatalf("self-approval not refused to the clicker: %+v", eph)
	}
	all := e.fake.Calls()
	var thread, updated bool
	for _, c := range all {
		thread = thread || (c.Method == "chat.postMessage" && c.Str("thread_ts") != "" && strings.Contains(c.Body, "Reset complete"))
		updated = updated || (c.Method == "chat.update" && strings.Contains(c.Body, "Done") && !strings.Contains(c.Body, "unlockbot.approve"))
	}
	if !thread || !updated {
		t.Fatalf("thread confirmation %t, approval message updated %t", thread, updated)
	}
	if note := ticketNote(t, e.app, id); !strings.Contains(note, "Chat: https://app.slack.com/client/"+slacktest.DefaultTeamID+"/"+chApprove+"/thread/"+chApprove+"-") {
		t.Fatalf("the ticket note does not link the Slack thread:\n%s", note)
	}

	e.click(uTech, "DTECH", "unlockbot.reveal", id)
	e.settle()
	var pw string
	for _, c := range e.fake.Calls("views.open") {
		if strings.Contains(c.Body, "slack.password_window") {
			pw = passwordInView(t, c.Body, lab, dn)
		}
	}
	if pw == "" {
		t.Fatal("the reveal modal did not carry a password that binds")
	}
	for _, c := range e.fake.Calls() {
		if strings.Contains(c.Body, pw) && !(c.Method == "views.open" && strings.Contains(c.Body, "slack.password_window")) {
			t.Errorf("password sent to Slack in %s", c.Method)
		}
	}
	auditText, _ := os.ReadFile(e.audit)
	if strings.Contains(e.logs.String(), pw) || strings.Contains(string(auditText), pw) {
		t.Error("password in the log or the audit trail")
	}
	// The whole request is in the trail, step by step, and nothing else.
	recs := trailOf(t, e.audit)
	want := []string{"request.submitted", "request.decision_refused", "request.approved", "reset.started", "reset.write_started", "reset.password_set",
		"reset.verified", "ticket.created", "ticket.noted", "ticket.resolved", "reset.completed", "request.delivered", "password.revealed"}
	if got := typesFor(recs, id); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("events of the request:\n got %q\nwant %q", got, want)
	}
	assertRequestEvents(t, recs, id, dn)
	code, out := auditCLI(t, e.audit, "show", "--account", name)
	if code != 0 || !strings.Contains(out, "tess") || !strings.Contains(out, "done: reset") || !strings.Contains(out, name) {
		t.Fatalf("audit show (%d):\n%s", code, out)
	}
}

// labOrgYAML is the org "lab" on the Samba lab, bound as the delegated bot
// (its password in the environment variable pwEnv), with its Slack roles:
// uTech asks, the SLEADS group approves.
// extra lines go into the directory block (indented six spaces).
func labOrgYAML(lab *ldaptest.Server, pwEnv string, extra ...string) string {
	more := ""
	for _, l := range extra {
		more += "\n      " + l
	}
	return fmt.Sprintf(`orgs:
  - id: lab
    name: Lab Corp
    directory:
      kind: ad
      url: %q
      ca_file: %q
      bind_dn: %q
      bind_password_env: %s
      base_dn: %q
      intentional_lock_group: %q%s
    slack: { channels: [%s], approval_channel: %s, technicians: [%s], approvers: [SLEADS] }
`, lab.URL, lab.CAFile, lab.BotDN, pwEnv, lab.UsersDN, lab.IntentionalLockDN, more, chHelp, chApprove, uTech)
}

// requestForm is the view_submission of the request modal as a technician
// fills it for account: org lab, a generated password, a reason; mode ""
// leaves "What to do" at its default.
func requestForm(account, mode, trigger string) url.Values {
	return requestFormBy(uTech, account, mode, trigger)
}

// requestFormBy is requestForm filled in by technician who.
func requestFormBy(who, account, mode, trigger string) url.Values {
	return requestFormIn("lab", who, account, mode, trigger)
}

// requestFormIn is requestFormBy for an account of org.
func requestFormIn(org, who, account, mode, trigger string) url.Values {
	handle := strings.ToLower(who)
	if who == uTech {
		handle = "tess"
	}
	field := func(id string, v map[string]any) map[string]any { return map[string]any{id: v} }
	sel := func(v string) map[string]any {
		return map[string]any{"type": "static_select", "selected_option": map[string]any{"value": v}}
	}
	values := map[string]any{
		"org":           field("org", sel(org)),
		"account":       field("account", sel(account)),
		"password":      field("password", map[string]any{"type": "plain_text_input", "value": ""}),
		"temporary":     field("temporary", map[string]any{"type": "checkboxes", "selected_options": []any{}}),
		"note_password": field("note_password", map[string]any{"type": "checkboxes", "selected_options": []any{}}),
		"reason":        field("reason", map[string]any{"type": "plain_text_input", "value": "Verified by call-back to the HR number"}),
	}
	if mode != "" {
		values["mode"] = field("mode", sel(mode))
	}
	return jsonPayload(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": who, "name": handle}, "trigger_id": trigger,
		"view": map[string]any{"id": "V1", "type": "modal", "callback_id": "unlockbot.request", "private_metadata": chHelp,
			"state": map[string]any{"values": values}},
	})
}

// requestIDIn finds the request id carried by the Approve button.
func requestIDIn(t *testing.T, body string) string {
	t.Helper()
	return buttonValue(t, body, "unlockbot.approve")
}

// passwordInView tries each text in the reveal modal as the password, and
// returns the one the directory accepts.
func passwordInView(t *testing.T, body string, lab *ldaptest.Server, dn string) string {
	t.Helper()
	var texts []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["text"].(string); ok {
				texts = append(texts, strings.Fields(strings.ReplaceAll(s, "`", " "))...)
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	var v any
	json.Unmarshal([]byte(body), &v)
	walk(v)
	for _, cand := range texts {
		if len(cand) >= 12 && lab.Bind(dn, cand) == nil {
			return cand
		}
	}
	return ""
}
