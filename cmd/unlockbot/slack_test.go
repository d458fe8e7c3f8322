package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
)

// demoSlackConfig writes a config on the built-in demo directory (no lab
// needed) with slackBlock as its top-level slack block, and points the
// Slack environment at a fresh fake.
func demoSlackConfig(t *testing.T, slackBlock string) (path string, fake *slacktest.Server) {
	t.Helper()
	fake = slacktest.New(t, e2eToken)
	t.Setenv("SLACK_BOT_TOKEN", e2eToken)
	t.Setenv("SLACK_SIGNING_SECRET", e2eSigning)
	t.Setenv("SLACK_API_URL", fake.APIURL())
	dir := t.TempDir()
	path = filepath.Join(dir, "unlockbot.yaml")
	y := "audit: { file: " + filepath.Join(dir, "audit.jsonl") + ", hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }] }\n" + slackBlock + "\norgs:\n" +
		"  - id: acme\n    directory: { kind: demo, dev_mode: true }\n    policy: { require_approval: false }\n" +
		"    slack: { channels: [" + chHelp + "], technicians: [" + uTech + ", SHELP] }\n"
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, fake
}

const pinned = "slack: { team_id: " + slacktest.DefaultTeamID + ", app_id: " + slacktest.DefaultAppID + " }"

// With SLACK_BOT_TOKEN set, serve and check refuse to start without the
// team and app to serve, and say where to find them.
func TestSlackNeedsTeamAndApp(t *testing.T) {
	path, _ := demoSlackConfig(t, "")
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := buildApp(context.Background(), cfg, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, err = a.mountSlack(context.Background(), http.NewServeMux())
	for _, want := range []string{"slack.team_id: is required when SLACK_BOT_TOKEN is set", "app.slack.com/client/T", "slack.app_id: is required", "api.slack.com/apps"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("start-up error %v, want it to contain %q", err, want)
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"check", "--config", path}, nil, &out, &errb); code == 0 || !strings.Contains(out.String(), "✗ slack: config: slack.team_id: is required") {
		t.Fatalf("check: exit %d\n%s", code, out.String())
	}
}

// The production wiring serves the pinned workspace only, and the org's
// people are principals of that team.
func TestSlackServesItsWorkspaceOnly(t *testing.T) {
	path, fake := demoSlackConfig(t, pinned)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	a, err := buildApp(context.Background(), cfg, &logs)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	o := a.orgs[0]
	if strings.Join(o.Technicians, ",") != "slack:T1:"+uTech+",slack:T1:SHELP" || strings.Join(o.Channels, ",") != "slack:"+chHelp {
		t.Fatalf("principals %q, channels %q", o.Technicians, o.Channels)
	}
	fake.SetGroup("SHELP")
	mux := http.NewServeMux()
	stop, err := a.mountSlack(context.Background(), mux)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	command := func(team string) string {
		t.Helper()
		code, body := signedPost(t, srv.URL+"/slack/commands", url.Values{"command": {"/unlock"}, "text": {"alice"}, "user_id": {uTech}, "user_name": {"tess"},
			"channel_id": {chHelp}, "team_id": {team}, "api_app_id": {slacktest.DefaultAppID}, "trigger_id": {"T" + team + strconv.FormatInt(time.Now().UnixNano(), 10)}})
		if code != http.StatusOK {
			t.Fatalf("status %d %s", code, body)
		}
		return body
	}
	if body := command("T2"); !strings.Contains(body, "not served") || len(fake.Calls("views.open")) != 0 {
		t.Fatalf("another workspace: %q, %d views.open", body, len(fake.Calls("views.open")))
	}
	if body := command(slacktest.DefaultTeamID); body != "" || len(fake.Calls("views.open")) != 1 {
		t.Fatalf("our workspace: %q, %d views.open", body, len(fake.Calls("views.open")))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		t.Fatal(err)
	}
	audit, _ := os.ReadFile(cfg.Audit.File)
	if !strings.Contains(string(audit), `"platform.refused"`) || !strings.Contains(string(audit), `"team_not_served"`) {
		t.Fatalf("refusal not audited:\n%s", audit)
	}
}

// `unlockbot check` reports a bot token of another workspace as a problem.
func TestCheckComparesSlackTeam(t *testing.T) {
	path, fake := demoSlackConfig(t, pinned)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"check", "--config", path}, nil, &out, &errb); code != 0 || !strings.Contains(out.String(), "✓ slack: bot token belongs to @unlockbot") || !strings.Contains(out.String(), "(T1)") {
		t.Fatalf("check: exit %d\n%s%s", code, out.String(), errb.String())
	}
	fake.SetWorkspace(slacktest.Workspace{TeamID: "T2", TeamName: "Elsewhere", AppID: slacktest.DefaultAppID})
	out.Reset()
	if code := run(context.Background(), []string{"check", "--config", path}, nil, &out, &errb); code == 0 || !strings.Contains(out.String(), "✗ slack: the bot token belongs to workspace Elsewhere (T2), but slack.team_id is T1") {
		t.Fatalf("check with another workspace's token: exit %d\n%s", code, out.String())
	}
}
