package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// labConfig writes a config for the Samba lab with the in-memory store.
func labConfig(t testing.TB, lab *ldaptest.Server) string {
	t.Helper()
	t.Setenv("LAB_BIND_PASSWORD", lab.BotPassword)
	dir := t.TempDir()
	p := filepath.Join(dir, "unlockbot.yaml")
	y := "audit: { file: " + filepath.Join(dir, "audit.jsonl") + " }\n" + pinned + "\norgs:\n  - id: lab\n    directory:\n" +
		"      kind: ad\n      url: " + lab.URL + "\n      ca_file: " + lab.CAFile + "\n      bind_dn: \"" + lab.BotDN + "\"\n" +
		"      bind_password_env: LAB_BIND_PASSWORD\n      base_dn: \"" + lab.UsersDN + "\"\n" +
		"      intentional_lock_group: \"" + lab.IntentionalLockDN + "\"\n"
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBreakGlassReset(t *testing.T) {
	lab := ldaptest.AD(t)
	cfg := labConfig(t, lab)
	name, dn := newLabUser(t, lab)
	lab.Lock(t, dn)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"reset", "--config", cfg, "--org", "lab", "--account", name, "--as", "oncall-ops"}, strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	pw := strings.TrimSpace(out.String())
	if strings.Count(out.String(), "\n") != 1 || len(pw) < 12 {
		t.Fatalf("stdout should be the password alone, got %d lines", strings.Count(out.String(), "\n"))
	}
	if strings.Contains(errb.String(), pw) {
		t.Fatal("password on stderr")
	}
	if lab.Locked(t, dn) || lab.Bind(dn, pw) != nil {
		t.Fatal("not unlocked, or the printed password does not bind")
	}
	audit, _ := os.ReadFile(filepath.Join(filepath.Dir(cfg), "audit.jsonl"))
	if !strings.Contains(string(audit), "cli:oncall-ops") || !strings.Contains(string(audit), "break_glass") || strings.Contains(string(audit), pw) {
		t.Fatal("break-glass reset not audited as the operator (or the password is in the trail)")
	}

	// A typed password from stdin, temporary: AD answers "must change" (773).
	out.Reset()
	code = run(context.Background(), []string{"reset", "--config", cfg, "--org", "lab", "--account", name, "--as", "oncall-ops", "--password-stdin", "--temporary"},
		strings.NewReader("Typed-Passw0rd-From-Stdin\n"), &out, &errb)
	if code != 0 || out.Len() != 0 {
		t.Fatalf("exit %d, stdout %q: %s", code, out.String(), errb.String())
	}
	if err := lab.Bind(dn, "Typed-Passw0rd-From-Stdin"); err == nil || !strings.Contains(err.Error(), "773") {
		t.Fatalf("temporary password: bind = %v, want data 773", err)
	}
}

func TestBreakGlassRefusals(t *testing.T) {
	lab := ldaptest.AD(t)
	cfg := labConfig(t, lab)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--account", "dadmin"}, "privileged"},
		{[]string{"--account", "nadmin"}, "Domain Admins"},
		{[]string{"--account", "acount"}, "adminCount"},
		{[]string{"--account", "disabled1"}, "disabled"},
		{[]string{"--account", "outsider"}, "No account"},
		{[]string{"--account", "intent1"}, "on purpose"},
		{[]string{"--account", "carol", "--password-stdin"}, "stdin is empty"},
		{[]string{"--account", "nobody-here"}, "No account"},
		{[]string{"--account", "carol", "--org", "acme"}, "no organization"},
		{[]string{}, "--account"},
	} {
		var out, errb bytes.Buffer
		before := accountState(t, lab, c.args)
		args := append([]string{"reset", "--config", cfg, "--org", "lab", "--as", "ops"}, c.args...)
		code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
		if code == 0 || !strings.Contains(errb.String(), c.want) || out.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q, want it to contain %q", c.args, code, errb.String(), c.want)
		}
		if after := accountState(t, lab, c.args); after != before {
			t.Errorf("%v: the account changed although the reset was refused: %s → %s", c.args, before, after)
		}
	}
}

func TestCheckReportsRights(t *testing.T) {
	lab := ldaptest.AD(t)
	cfg := labConfig(t, lab)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"check", "--config", cfg}, nil, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "✓ lab directory: ready") || !strings.Contains(out.String(), "right Reset Password: granted") ||
		!strings.Contains(out.String(), "right write lockoutTime: granted") {
		t.Fatalf("check: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "✓ state store: embedded in-memory store") || !strings.Contains(out.String(), "✓ slack: SLACK_BOT_TOKEN not set") {
		t.Fatalf("check output:\n%s", out.String())
	}

	// With Slack configured, the token is asked about; a wrong one fails the check.
	fake := slacktest.New(t, e2eToken)
	t.Setenv("SLACK_SIGNING_SECRET", e2eSigning)
	t.Setenv("SLACK_API_URL", fake.APIURL())
	t.Setenv("SLACK_BOT_TOKEN", e2eToken)
	out.Reset()
	if code := run(context.Background(), []string{"check", "--config", cfg}, nil, &out, &errb); code != 0 || !strings.Contains(out.String(), "✓ slack: bot token belongs to @unlockbot") {
		t.Fatalf("check with Slack: exit %d\n%s", code, out.String())
	}
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-revoked-0000")
	out.Reset()
	if code := run(context.Background(), []string{"check", "--config", cfg}, nil, &out, &errb); code == 0 || !strings.Contains(out.String(), "✗ slack") {
		t.Fatalf("check with a wrong token: exit %d\n%s", code, out.String())
	}
	if strings.Contains(out.String(), "xoxb-revoked-0000") || strings.Contains(errb.String(), "xoxb-revoked-0000") {
		t.Fatal("the token was printed")
	}
}

// accountState reads what a reset would change (password time, lock,
// uSNChanged) for the account named in args, as the administrator sees it.
func accountState(t *testing.T, lab *ldaptest.Server, args []string) string {
	t.Helper()
	name := ""
	for i, a := range args {
		if a == "--account" && i+1 < len(args) {
			name = args[i+1]
		}
	}
	if name == "" || name == "nobody-here" {
		return ""
	}
	dn := lab.DN(t, name)
	return strings.Join([]string{
		strings.Join(lab.Attr(t, dn, "pwdLastSet"), ","), strings.Join(lab.Attr(t, dn, "lockoutTime"), ","),
		strings.Join(lab.Attr(t, dn, "uSNChanged"), ","),
	}, "/")
}
