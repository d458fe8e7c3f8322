package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
)

// teamsDemoConfig is a demo-directory config with Teams on, pointed at a
// fake Bot Framework.
func teamsDemoConfig(t *testing.T, password string) string {
	t.Helper()
	_, env := newTeamsFake(t, teamstest.Options{})
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("TEAMS_APP_PASSWORD", password)
	dir := t.TempDir()
	path := filepath.Join(dir, "unlockbot.yaml")
	y := "audit: { file: " + filepath.Join(dir, "audit.jsonl") + ", hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }] }\n" + teamsPinned + "\norgs:\n" +
		"  - id: acme\n    directory: { kind: demo, dev_mode: true }\n    policy: { require_approval: false }\n" +
		"    teams: { channels: [\"" + tmHelp + "\"], technicians: [" + tmTech.AADObjectID + "] }\n"
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// `unlockbot check` asks Entra for the bot's token and the Bot Framework
// for its keys: with the right secret it says so; with a wrong one it
// names the setting to fix, and never prints the secret.
func TestCheckTeamsCredentials(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"check", "--config", teamsDemoConfig(t, teamstest.DefaultPassword)}, nil, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "✓ teams: app "+teamstest.DefaultAppID+" got its token") {
		t.Fatalf("check with the right secret: %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	const wrong = "not-the-secret-~9"
	if code := run(context.Background(), []string{"check", "--config", teamsDemoConfig(t, wrong)}, nil, &out, &errb); code == 0 ||
		!strings.Contains(out.String(), "✗ teams:") || !strings.Contains(out.String(), "TEAMS_APP_PASSWORD") || strings.Contains(out.String(), wrong) {
		t.Fatalf("check with a wrong secret: %d\n%s", code, out.String())
	}
	t.Log(out.String())
}

// With TEAMS_APP_PASSWORD set, serve refuses to start without the tenant
// and app to serve.
func TestTeamsNeedsTenantAndApp(t *testing.T) {
	path := teamsDemoConfig(t, teamstest.DefaultPassword)
	os.WriteFile(path, bytes.Replace(must(os.ReadFile(path)), []byte(teamsPinned), nil, 1), 0o600)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := buildApp(context.Background(), cfg, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.mountTeams(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "TEAMS_APP_ID") {
		t.Fatalf("start-up error %v, want it to ask for TEAMS_APP_ID", err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
