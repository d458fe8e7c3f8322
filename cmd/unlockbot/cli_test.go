package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// labConfig writes a config for the Samba lab on the test Redis (its own
// key prefix), as an operator's break-glass config points at the bot's.
func labConfig(t testing.TB, lab *ldaptest.Server) string {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	t.Setenv("LAB_SEAL_KEY", base64.StdEncoding.EncodeToString(key))
	return writeLabConfig(t, lab, "redis_url: "+storetest.RedisURL(t)+"\nredis_prefix: \"cli:"+rand.Text()+":\"\nseal_key_env: LAB_SEAL_KEY\n")
}

// memoryLabConfig is the lab config without Redis: nothing survives a run.
func memoryLabConfig(t testing.TB, lab *ldaptest.Server) string {
	t.Helper()
	return writeLabConfig(t, lab, "")
}

func writeLabConfig(t testing.TB, lab *ldaptest.Server, head string) string {
	t.Helper()
	t.Setenv("LAB_BIND_PASSWORD", lab.BotPassword)
	dir := t.TempDir()
	p := filepath.Join(dir, "unlockbot.yaml")
	y := head + "audit: { file: " + filepath.Join(dir, "audit.jsonl") + ", hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }] }\n" + pinned + "\norgs:\n  - id: lab\n    directory:\n" +
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
	// The reset answered before its clean-ups; the command waited for them
	// before it exited: the typed password is no longer kept.
	conf, _ := os.ReadFile(cfg)
	prefix := regexp.MustCompile(`redis_prefix: "([^"]+)"`).FindSubmatch(conf)
	if prefix == nil {
		t.Fatal("no redis_prefix in the lab config")
	}
	keys, err := redisClient(t, storetest.RedisURL(t)).Keys(context.Background(), string(prefix[1])+"pw:*").Result()
	if err != nil || len(keys) != 0 {
		t.Fatalf("sealed passwords kept after the command exited: %v (%v)", keys, err)
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
	if !strings.Contains(out.String(), "✓ state store: Redis answers") || !strings.Contains(out.String(), "✓ audit file: can be written") || !strings.Contains(out.String(), "✓ slack: SLACK_BOT_TOKEN not set") ||
		!strings.Contains(out.String(), "✓ lab generated passwords: 16 random characters, 94.8 bits") {
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

// --unlock-only clears the lockout and leaves the password alone: the old
// password binds afterwards and pwdLastSet has not moved.
func TestBreakGlassUnlockOnly(t *testing.T) {
	lab := ldaptest.AD(t)
	cfg := labConfig(t, lab)
	name, dn := newLabUser(t, lab)
	lab.Lock(t, dn)
	before := lab.Attr(t, dn, "pwdLastSet")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"reset", "--config", cfg, "--org", "lab", "--account", name, "--as", "ops", "--unlock-only"}, strings.NewReader(""), &out, &errb)
	if code != 0 || out.Len() != 0 || !strings.Contains(errb.String(), "account unlocked; the password is unchanged. Verified in the directory") {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out.String(), errb.String())
	}
	// The lockout facts as Samba reported them before the unlock.
	if !strings.Contains(errb.String(), "Locked: since ") || !strings.Contains(errb.String(), "Bad passwords: 3, last ") {
		t.Fatalf("the facts read from the DC are not shown: %s", errb.String())
	}
	if lab.Locked(t, dn) {
		t.Fatal("still locked")
	}
	if after := lab.Attr(t, dn, "pwdLastSet"); strings.Join(after, "") != strings.Join(before, "") {
		t.Fatalf("pwdLastSet moved from %v to %v: the password was touched", before, after)
	}
	if err := lab.Bind(dn, lab.UserPassword); err != nil {
		t.Fatalf("the old password no longer binds: %v", err)
	}
	audit, _ := os.ReadFile(filepath.Join(filepath.Dir(cfg), "audit.jsonl"))
	if !strings.Contains(string(audit), `"type":"unlock.completed"`) || strings.Contains(string(audit), "reset.password_set") {
		t.Fatal("the unlock is not audited as an unlock only")
	}
	code = run(context.Background(), []string{"reset", "--config", cfg, "--org", "lab", "--account", name, "--as", "ops", "--unlock-only", "--temporary"}, strings.NewReader(""), &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), "--unlock-only keeps the current password") {
		t.Fatalf("--unlock-only with --temporary: exit %d %s", code, errb.String())
	}
}

// Without a shared store nothing counts earlier resets, so the CLI refuses
// unless the operator takes that on with --force-no-limit, which is audited;
// with Redis the per-account daily limit holds across runs.
func TestBreakGlassDailyLimit(t *testing.T) {
	lab := ldaptest.AD(t)
	name, dn := newLabUser(t, lab)
	mem := memoryLabConfig(t, lab)
	before := accountState(t, lab, []string{"--account", name})
	var out, errb bytes.Buffer
	args := []string{"reset", "--config", mem, "--org", "lab", "--account", name, "--as", "ops"}
	if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code == 0 || !strings.Contains(errb.String(), "--force-no-limit") {
		t.Fatalf("without Redis: exit %d %s", code, errb.String())
	}
	if accountState(t, lab, []string{"--account", name}) != before {
		t.Fatal("the refused run changed the account")
	}
	if code := run(context.Background(), append(args, "--force-no-limit"), strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("with --force-no-limit: exit %d %s", code, errb.String())
	}
	audit, _ := os.ReadFile(filepath.Join(filepath.Dir(mem), "audit.jsonl"))
	if !strings.Contains(string(audit), `"flags":"force_no_limit"`) {
		t.Fatal("--force-no-limit is not in the audit trail")
	}

	cfg := labConfig(t, lab)
	args = []string{"reset", "--config", cfg, "--org", "lab", "--account", name, "--as", "ops"}
	for i := range 3 {
		out.Reset()
		if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("reset %d of the day: exit %d %s", i+1, code, errb.String())
		}
	}
	pw := strings.TrimSpace(out.String())
	errb.Reset()
	if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code == 0 || !strings.Contains(errb.String(), "limit") {
		t.Fatalf("a fourth reset in a day: exit %d %s", code, errb.String())
	}
	if lab.Bind(dn, pw) != nil {
		t.Fatal("the refused fourth reset changed the password")
	}
}

// A password the directory refuses (here a fine-grained policy demanding
// 24 characters, which unlockbot's own 12-character policy lets through)
// leaves the account exactly as it was: still locked, the password not
// written (pwdLastSet and unicodePwd's version unchanged), and the
// operator reads AD's reason.
func TestBreakGlassRefusedByAPSOChangesNothing(t *testing.T) {
	lab := ldaptest.AD(t)
	cfg := labConfig(t, lab)
	// A scratch account put under the PSO (not the fixture pso1, which the
	// directory package's own tests lock and restore meanwhile).
	name, dn := newLabUser(t, lab)
	join := goldap.NewModifyRequest(lab.PSOGroupDN, nil)
	join.Add("member", []string{dn})
	if err := lab.Admin(t).Modify(join); err != nil {
		t.Fatalf("put %s under the PSO: %v", name, err)
	}
	lab.Lock(t, dn)
	version := lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd)
	pwdLastSet := strings.Join(lab.Attr(t, dn, "pwdLastSet"), "")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"reset", "--config", cfg, "--org", "lab", "--account", name, "--as", "ops", "--password-stdin"},
		strings.NewReader("Sixteen-Chars-9x\n"), &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), "24 characters") {
		t.Fatalf("exit %d; stderr %q should carry AD's reason", code, errb.String())
	}
	if !lab.Locked(t, dn) {
		t.Fatal("the refused reset unlocked the account")
	}
	if v := lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd); v != version {
		t.Fatalf("unicodePwd version %d → %d", version, v)
	}
	if got := strings.Join(lab.Attr(t, dn, "pwdLastSet"), ""); got != pwdLastSet {
		t.Fatalf("pwdLastSet %s → %s", pwdLastSet, got)
	}
	if err := lab.Bind(dn, lab.UserPassword); err == nil || !strings.Contains(err.Error(), "775") {
		t.Fatalf("the old password should still be the password of a locked account (775): %v", err)
	}
}
