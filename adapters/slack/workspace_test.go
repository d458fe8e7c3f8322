package slack

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot"
)

// edit changes an interaction payload the way another workspace, app or
// enterprise would send it.
func edit(form url.Values, fn func(p map[string]any)) url.Values {
	var p map[string]any
	if err := json.Unmarshal([]byte(form.Get("payload")), &p); err != nil {
		panic(err)
	}
	fn(p)
	return payload(p)
}

func fromTeam(team string) func(map[string]any) {
	return func(p map[string]any) {
		p["team"] = map[string]any{"id": team, "domain": "other"}
		p["user"].(map[string]any)["team_id"] = team
	}
}

// A request signed with our secret but sent from another workspace or app
// runs nothing: no Slack call, no decision, no directory search. It gets a
// plain answer where Slack shows one, a log line and an audit record.
func TestOtherWorkspacesRefusedBeforeHandling(t *testing.T) {
	e := newEnv(t, nil)
	id, _ := e.submitOK(uTech, validForm())
	e.wait()
	calls, auditBefore := len(e.fake.Calls()), len(strings.Split(e.audit.String(), "\n"))

	cmd := func(fn func(url.Values)) url.Values {
		f := e.command(uTech, chAcme, "alice")
		fn(f)
		return f
	}
	click := e.click(uApprover, chApprovals, bot.ActionApprove, id)
	const refusedText = "This Slack workspace is not served by this unlockbot"
	for _, tc := range []struct {
		name, path string
		form       url.Values
		want, why  string
	}{
		{"command from another team", "/slack/commands", cmd(func(f url.Values) { f.Set("team_id", "T2") }), refusedText, "team_not_served"},
		{"command naming no team", "/slack/commands", cmd(func(f url.Values) { f.Del("team_id") }), refusedText, "team_not_served"},
		{"command from another app", "/slack/commands", cmd(func(f url.Values) { f.Set("api_app_id", "A2") }), refusedText, "app_not_served"},
		{"command naming no app", "/slack/commands", cmd(func(f url.Values) { f.Del("api_app_id") }), refusedText, "app_not_served"},
		{"approve from another team", "/slack/interactions", edit(click, fromTeam("T2")), "", "team_not_served"},
		{"approve by a user of another team", "/slack/interactions", edit(click, func(p map[string]any) {
			p["user"].(map[string]any)["team_id"] = "T2" // an external member of a shared channel
		}), "", "team_not_served"},
		{"approve from another app", "/slack/interactions", edit(click, func(p map[string]any) { p["api_app_id"] = "A2" }), "", "app_not_served"},
		{"approve naming no team", "/slack/interactions", edit(click, func(p map[string]any) { p["team"] = nil }), "", "team_not_served"},
		{"submission from another team", "/slack/interactions", edit(e.submission(uTech, validForm()), fromTeam("T2")), `"response_action":"update"`, "team_not_served"},
		{"type-ahead from another team", "/slack/options", edit(e.suggestion(uTech, "account", "", "acme"), fromTeam("T2")), `{"options":[]}`, "team_not_served"},
		{"type-ahead on the interactions URL", "/slack/interactions", edit(e.suggestion(uTech, "account", "", "acme"), fromTeam("T2")), `{"options":[]}`, "team_not_served"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.send(tc.path, tc.form)
			body := e.mustOK(w)
			if tc.want == "" && body != "" || !strings.Contains(body, tc.want) {
				t.Fatalf("answer %q, want %q", body, tc.want)
			}
			if tc.want == refusedText && !strings.Contains(body, `"response_type":"ephemeral"`) {
				t.Fatalf("answer %q is not ephemeral", body)
			}
			if !strings.Contains(e.logs.String(), `"why":"`+tc.why+`"`) {
				t.Fatalf("no refusal logged with why %s", tc.why)
			}
		})
	}
	e.wait()
	if n := len(e.fake.Calls()); n != calls {
		t.Fatalf("%d Slack calls for refused requests, want none: %+v", n-calls, e.fake.Calls()[calls:])
	}
	if r, err := e.svc.Get(context.Background(), id); err != nil || r.State != bot.StatePendingApproval {
		t.Fatalf("request after a foreign approve: %v %v, want still pending", r.State, err)
	}
	if !strings.Contains(e.logs.String(), `"event":"slack.workspace_refused"`) {
		t.Fatal("refusals not logged with an event")
	}
	// Audited through RecordRefusal: one record per reason and minute,
	// not one per request.
	var records []string
	for _, l := range strings.Split(e.audit.String(), "\n")[auditBefore-1:] {
		if l == "" {
			continue
		}
		if !strings.Contains(l, `"platform.refused"`) {
			t.Fatalf("refused requests wrote %s", l)
		}
		records = append(records, l)
	}
	joined := strings.Join(records, "\n")
	if !strings.Contains(joined, `"why":"team_not_served"`) || !strings.Contains(joined, `"why":"app_not_served"`) || !strings.Contains(joined, `"team_id":"T2"`) {
		t.Fatalf("audit records %s", joined)
	}
	if len(records) > 4 { // 2 reasons, each at most in 2 minutes
		t.Fatalf("%d audit records for %d refusals: not rate-limited", len(records), 11)
	}
}

// A refused request leaves no replay marker: the refusal comes before it,
// so a flood from another workspace writes nothing per request.
func TestRefusedWorkspaceSetsNoReplayMarker(t *testing.T) {
	e := newEnv(t, nil)
	f := e.command(uTech, chAcme, "alice")
	f.Set("team_id", "T2")
	now := time.Now()
	if body := e.mustOK(e.sendAt("/slack/commands", f, now, nil)); !strings.Contains(body, "not served") {
		t.Fatalf("answer %q", body)
	}
	sig := Sign(testSecret, strconv.FormatInt(now.Unix(), 10), []byte(f.Encode()))
	if first, err := e.st.Mark(context.Background(), "slack:sig:"+sig, time.Minute); err != nil || !first {
		t.Fatalf("the refused request left a replay marker (first=%t, %v)", first, err)
	}
}

// With enterprise_id pinned, the Grid must match too; without it, the
// team alone decides.
func TestEnterprisePinned(t *testing.T) {
	e := newEnvWith(t, nil, func(c *Config) { c.EnterpriseID = "E1" })
	for ent, served := range map[string]bool{"E1": true, "E2": false, "": false} {
		f := e.command(uTech, chAcme, "alice")
		if ent != "" {
			f.Set("enterprise_id", ent)
		}
		body := e.mustOK(e.send("/slack/commands", f))
		if got := !strings.Contains(body, "not served"); got != served {
			t.Errorf("enterprise %q: answer %q, served %t, want %t", ent, body, got, served)
		}
	}
	if n := len(e.fake.Calls("views.open")); n != 1 {
		t.Fatalf("%d views.open, want 1 (E1 only)", n)
	}
	if !strings.Contains(e.logs.String(), `"why":"enterprise_not_served"`) {
		t.Fatal("enterprise refusal not logged")
	}
	click := edit(e.suggestion(uTech, "account", "", "acme"), func(p map[string]any) { p["enterprise"] = map[string]any{"id": "E1"} })
	if body := e.mustOK(e.send("/slack/options", click)); !strings.Contains(body, "alice") {
		t.Fatalf("type-ahead in the pinned enterprise: %s", body)
	}

	plain := newEnv(t, nil)
	f := plain.command(uTech, chAcme, "alice")
	f.Set("enterprise_id", "E7")
	if body := plain.mustOK(plain.send("/slack/commands", f)); body != "" {
		t.Fatalf("no enterprise pinned: answer %q, want the modal", body)
	}
}

// Every actor carries the pinned team: roles, keys and the audit trail
// name "slack:T1:U…", and a bare "slack:U…" in the org config grants
// nothing.
func TestActorsCarryTheTeam(t *testing.T) {
	e := newEnv(t, nil)
	e.submitOK(uTech, validForm())
	e.wait()
	if !strings.Contains(e.audit.String(), `"slack:`+teamID+`:`+uTech+`"`) {
		t.Fatalf("audit does not name the technician by team and id:\n%s", e.audit.String())
	}
	o, _ := e.svc.Org("acme")
	o.Technicians = []string{"slack:" + uTech}
	body := e.mustOK(e.send("/slack/commands", e.command(uTech, chAcme, "")))
	if !strings.Contains(body, "not a technician") {
		t.Fatalf("an id without its team granted the role: %q", body)
	}
}

func TestWorkspaceRequired(t *testing.T) {
	for name, fn := range map[string]func(*Config){
		"no team":       func(c *Config) { c.TeamID = "" },
		"no app":        func(c *Config) { c.AppID = "" },
		"bad team":      func(c *Config) { c.TeamID = "U123" },
		"bad app":       func(c *Config) { c.AppID = "T123" },
		"bad grid":      func(c *Config) { c.EnterpriseID = "T123" },
		"lower-case id": func(c *Config) { c.TeamID = "t123" },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			cfg := Config{BotToken: identityNewSecret(testToken), SigningSecret: identityNewSecret(testSecret),
				Service: e.svc, Store: e.st, TeamID: teamID, AppID: appID}
			fn(&cfg)
			if _, err := New(cfg); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
}

// Over Socket Mode the app token authenticates the link, not the
// workspace: envelopes from another team are acked with the refusal and
// run nothing.
func TestSocketOtherWorkspacesRefused(t *testing.T) {
	s := newSocketEnv(t, nil)
	id, _ := s.submitOK(uTech, validForm())
	s.wait()
	calls := len(s.fake.Calls())

	f := s.env.command(uTech, chAcme, "alice")
	f.Set("team_id", "T2")
	env, err := s.sock.SlashCommand(f)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if a := s.ack(env); json.Unmarshal(a.Payload, &m) != nil || m["response_type"] != "ephemeral" || !strings.Contains(m["text"], "not served") {
		t.Fatalf("ack payload %s, want the ephemeral refusal", a.Payload)
	}
	if a := s.ack(s.interactive(edit(s.click(uApprover, chApprovals, bot.ActionApprove, id), fromTeam("T2")))); a.Payload != nil {
		t.Fatalf("ack payload %s for a refused click, want none", a.Payload)
	}
	s.wait()
	if n := len(s.fake.Calls()); n != calls {
		t.Fatalf("%d Slack calls for refused envelopes: %+v", n-calls, s.fake.Calls()[calls:])
	}
	if r, err := s.svc.Get(context.Background(), id); err != nil || r.State != bot.StatePendingApproval {
		t.Fatalf("request after a foreign approve: %v %v", r.State, err)
	}
	if !strings.Contains(s.logs.String(), `"transport":"socket_mode"`) || !strings.Contains(s.logs.String(), `"event":"slack.workspace_refused"`) {
		t.Fatal("socket refusal not logged")
	}
	// Our own workspace still gets its modal.
	if a := s.ack(s.command(uTech, chAcme, "alice")); a.Payload != nil || len(s.fake.Calls("views.open")) != 1 {
		t.Fatalf("own workspace: ack %s, %d views.open", a.Payload, len(s.fake.Calls("views.open")))
	}
}
