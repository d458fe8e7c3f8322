package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExampleConfigIsValid(t *testing.T) {
	b, err := os.ReadFile("../../docs/unlockbot.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The example points at the lab CA; stand in a readable file for it.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, []byte("x"), 0o600)
	y := strings.ReplaceAll(string(b), "/var/lib/unlockbot-lab/samba/tls/ca.pem", ca)
	c, err := ParseConfig([]byte(strings.ReplaceAll(y, "/var/lib/unlockbot-lab/slapd/tls/ca.pem", ca)))
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	if len(c.Orgs) < 2 || !*c.Orgs[0].Policy.RequireApproval {
		t.Fatalf("example parsed wrong: %+v", c.Orgs)
	}
	if c.Slack.TeamID == "" || c.Slack.AppID == "" || c.Slack.GroupMaxStale != 15*time.Minute {
		t.Fatalf("example slack block parsed wrong: %+v", c.Slack)
	}
	// Unset, a failing Slack user group keeps its members for 15 minutes.
	c, err = ParseConfig([]byte("orgs:\n  - id: x\n    directory: {kind: demo, dev_mode: true}\n"))
	if err != nil || c.Slack.GroupMaxStale != 15*time.Minute {
		t.Fatalf("default group_max_stale: %v, %v", c.Slack.GroupMaxStale, err)
	}
	// Unset, each channel gets Slack's one message a second, bursts of 3.
	if c.Slack.ChannelInterval != time.Second || c.Slack.ChannelBurst != 3 {
		t.Fatalf("default channel pace: %v, burst %d", c.Slack.ChannelInterval, c.Slack.ChannelBurst)
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	base := `
orgs:
  - id: acme
    directory: {kind: ad, url: "ldaps://127.0.0.1:636", ca_file: "%CA%", bind_dn: "CN=svc", bind_password_env: X, base_dn: "OU=Staff,DC=example,DC=test"}
`
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, []byte("x"), 0o600)
	for name, tc := range map[string]struct{ edit, want string }{
		"inline secret":  {`bind_password_env: X`, "orgs[0].directory.bind_password: secrets are never written"},
		"plain ldap":     {`ldaps://127.0.0.1:636`, "orgs[0].directory.url: plain ldap:// sends passwords in clear"},
		"no base dn":     {`base_dn: "OU=Staff,DC=example,DC=test"`, "orgs[0].directory.base_dn: is required"},
		"unknown key":    {`bind_dn:`, "field bind_dnn not found"},
		"bad kind":       {`kind: ad`, `orgs[0].directory.kind: must be ad, ldap, entra or demo (got "adx")`},
		"missing ca":     {`%CA%`, "orgs[0].directory.ca_file: cannot be read"},
		"redis w/o key":  {`orgs:`, "seal_key_env: is required with Redis"},
		"bad min length": {`orgs:`, "orgs[0].policy.min_password_length: must be between 8 and 128"},
		"redis password": {`orgs:`, "redis_url: holds a password; secrets are never written in the file"},
		"demo w/o dev":   {`kind: ad`, "orgs[0].directory.kind: demo is the built-in fake directory; set dev_mode: true"},
		"slack team id":  {`orgs:`, `slack.team_id: must be a Slack team id (T… in capitals, e.g. T0123ABCD), got "U0DANA"`},
		"slack app id":   {`orgs:`, `slack.app_id: must be a Slack app id (A…), got "a0bot"`},
		"slack grid id":  {`orgs:`, `slack.enterprise_id: must be a Slack Enterprise Grid id (E…), got "T1"`},
		"group stale":    {`orgs:`, `slack.group_max_stale: must be between 1m and 24h (got 30s)`},
		"channel pace":   {`orgs:`, `slack.channel_interval: must be between 1ms and 1m (got 2m0s)`},
		"channel burst":  {`orgs:`, `slack.channel_burst: must be between 1 and 50 (got -1)`},
	} {
		t.Run(name, func(t *testing.T) {
			y := strings.ReplaceAll(base, "%CA%", ca)
			switch name {
			case "inline secret":
				y = strings.Replace(y, tc.edit, `bind_password: hunter2`, 1)
			case "plain ldap":
				y = strings.Replace(y, tc.edit, `ldap://127.0.0.1:389`, 1)
			case "no base dn":
				y = strings.Replace(y, tc.edit, ``, 1)
			case "unknown key":
				y = strings.Replace(y, tc.edit, `bind_dnn:`, 1)
			case "bad kind":
				y = strings.Replace(y, tc.edit, `kind: adx`, 1)
			case "missing ca":
				y = strings.Replace(base, tc.edit, "/nonexistent/ca.pem", 1)
			case "redis w/o key":
				y = "redis_url: redis://127.0.0.1:6379/0\n" + y
			case "redis password":
				y = "redis_url: redis://:hunter2@127.0.0.1:6379/0\nseal_key_env: K\n" + y
			case "slack team id":
				y = "slack: {team_id: U0DANA, app_id: A0BOT}\n" + y
			case "slack app id":
				y = "slack: {team_id: T0ACME, app_id: a0bot}\n" + y
			case "slack grid id":
				y = "slack: {team_id: T0ACME, app_id: A0BOT, enterprise_id: T1}\n" + y
			case "group stale":
				y = "slack: {team_id: T0ACME, app_id: A0BOT, group_max_stale: 30s}\n" + y
			case "channel pace":
				y = "slack: {team_id: T0ACME, app_id: A0BOT, channel_interval: 2m}\n" + y
			case "channel burst":
				y = "slack: {team_id: T0ACME, app_id: A0BOT, channel_burst: -1}\n" + y
			case "demo w/o dev":
				y = strings.Replace(y, tc.edit, `kind: demo`, 1)
			case "bad min length":
				y += "    policy: {min_password_length: 4}\n"
			}
			_, err := ParseConfig([]byte(y))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatal("error repeats the inline secret")
			}
		})
	}
}

func TestResolveSecret(t *testing.T) {
	t.Setenv("UNLOCKBOT_TEST_SECRET", "s3cret-value")
	s, err := ResolveSecret("bind_password", "UNLOCKBOT_TEST_SECRET", "")
	if err != nil || s.Reveal() != "s3cret-value" {
		t.Fatalf("env: %v", err)
	}
	_, err = ResolveSecret("bind_password", "UNLOCKBOT_TEST_UNSET", "")
	if err == nil || !strings.Contains(err.Error(), "UNLOCKBOT_TEST_UNSET is not set") {
		t.Fatalf("unset env: %v", err)
	}
	f := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(f, []byte("from-file\n"), 0o600)
	if s, err := ResolveSecret("bind_password", "", f); err != nil || s.Reveal() != "from-file" {
		t.Fatalf("file: %v", err)
	}
}

// Two orgs with nested base DNs on one directory would let one org's
// technicians reset the other's accounts under the wrong policy.
func TestOverlappingBaseDNsAreRefused(t *testing.T) {
	org := func(id, url, base string) string {
		return "  - id: " + id + "\n    directory: {kind: ad, url: \"" + url + "\", bind_dn: \"CN=svc\", bind_password_env: X, base_dn: \"" + base + "\"}\n"
	}
	cases := []struct {
		name, orgs, want string
	}{
		{"nested", org("msp", "ldaps://DC1.corp.test:636", "DC=corp,DC=test") + org("acme", "ldaps://dc1.corp.test", "OU=Acme,DC=corp,DC=test"),
			`orgs[1].directory.base_dn: "OU=Acme,DC=corp,DC=test" overlaps orgs[0] (msp)`},
		{"inner first", org("acme", "ldaps://dc1.corp.test", "ou=acme,dc=corp,dc=test") + org("msp", "ldaps://dc1.corp.test:3269", "DC=corp,DC=test"),
			"orgs[1].directory.base_dn"},
		{"same base", org("a", "ldaps://dc1.corp.test", "OU=X,DC=corp,DC=test") + org("b", "ldaps://dc1.corp.test", "OU=X,DC=corp,DC=test"),
			"overlaps orgs[0] (a)"},
		{"siblings", org("a", "ldaps://dc1.corp.test", "OU=A,DC=corp,DC=test") + org("b", "ldaps://dc1.corp.test", "OU=B,DC=corp,DC=test"), ""},
		{"other servers", org("a", "ldaps://dc1.a.test", "DC=corp,DC=local") + org("b", "ldaps://dc1.b.test", "DC=corp,DC=local"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			y := "orgs:\n" + tc.orgs
			_, err := ParseConfig([]byte(y))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused a config without overlap: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// Generic LDAP servers on one host but different ports are different
// directories; AD is one directory whatever the port.
func TestDirectoryServerIdentity(t *testing.T) {
	s := func(kind, u string) server { v, _ := directoryServer(DirectoryConfig{Kind: kind, URL: u}); return v }
	if !s("ad", "ldaps://dc1:636").same(s("ad", "ldap://DC1.:389")) {
		t.Error("AD on 636 and 389 is one directory")
	}
	if s("ldap", "ldaps://h:6360").same(s("ldap", "ldaps://h:6361")) {
		t.Error("two slapd ports are two directories")
	}
	if !s("ldap", "ldaps://h").same(s("ldap", "ldaps://h:636")) {
		t.Error("the default ldaps port is 636")
	}
	if _, ok := directoryServer(DirectoryConfig{Kind: "demo"}); ok {
		t.Error("the demo directory has no server")
	}
}

func TestLimitsAndRecoveryConfig(t *testing.T) {
	base := "orgs:\n  - id: a\n    directory: {kind: demo, dev_mode: true}\n"
	c, err := ParseConfig([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.TechnicianOpenRequests != 5 || c.Limits.TechnicianRequestsPerHour != 20 || c.Recovery.Lease != 2*60e9 || c.Recovery.SweepInterval != 30e9 ||
		c.Recovery.JobWorkers != 16 || c.Recovery.ShutdownGrace != 20e9 {
		t.Fatalf("defaults: %+v %+v", c.Limits, c.Recovery)
	}
	for y, want := range map[string]string{
		"limits: {technician_open_requests: 500}\n":    "limits.technician_open_requests: must be between 1 and 100",
		"limits: {technician_requests_per_hour: -1}\n": "limits.technician_requests_per_hour",
		"recovery: {lease: 100ms}\n":                   "recovery.lease: must be between 1s and 30m",
		"recovery: {sweep_interval: 1h}\n":             "recovery.sweep_interval",
		"recovery: {job_workers: 1000}\n":              "recovery.job_workers: must be between 1 and 256",
		"recovery: {shutdown_grace: 100ms}\n":          "recovery.shutdown_grace: must be between 1s and 10m",
	} {
		if _, err := ParseConfig([]byte(y + base)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", y, err, want)
		}
	}
}

func TestConfigGeneratorPolicy(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, []byte("x"), 0o600)
	base := `
orgs:
  - id: acme
    directory: {kind: ad, url: "ldaps://127.0.0.1:636", ca_file: "` + ca + `", bind_dn: "CN=svc", bind_password_env: X, base_dn: "OU=Staff,DC=example,DC=test"}
    policy: {%s}
`
	const words = "orgs[0].policy.passphrase_words: must be 0 (random characters) or between 5 and 10 (got %d): 5 words carry 70.2 bits, the least a generated password may have is 60"
	for policy, want := range map[string]string{
		"":                     "",
		"passphrase_words: 0":  "",
		"passphrase_words: 5":  "",
		"passphrase_words: 7":  "",
		"passphrase_words: 10": "",
		"passphrase_words: 4":  fmt.Sprintf(words, 4),
		"passphrase_words: 1":  fmt.Sprintf(words, 1),
		"passphrase_words: -1": fmt.Sprintf(words, -1),
		"passphrase_words: 11": fmt.Sprintf(words, 11),
		"passphrase_words: 5, min_password_length: 42": "",
		"passphrase_words: 5, min_password_length: 43": "orgs[0].policy.passphrase_words: 5 words are too few for min_password_length 43: most passphrases would be shorter (69.1 bits left of 70.2); raise passphrase_words or lower min_password_length",
		"passphrase_words: 5, min_password_length: 60": "orgs[0].policy.passphrase_words: 5 words never make min_password_length 60 characters; raise passphrase_words or lower min_password_length",
		"passphrase_words: 7, min_password_length: 58": "",
		"generated_length: 12":                         "",
		"generated_length: 64":                         "",
		"generated_length: 11":                         "orgs[0].policy.generated_length: must be between 12 and 64 (got 11)",
		"generated_length: 65":                         "orgs[0].policy.generated_length: must be between 12 and 64 (got 65)",
		"ticket_retry_for: 10m":                        "",
		"ticket_retry_for: 144h":                       "",
		"ticket_retry_for: 9m":                         "orgs[0].policy.ticket_retry_for: must be between 10m and 144h",
		"ticket_retry_for: 145h":                       "orgs[0].policy.ticket_retry_for: must be between 10m and 144h",
	} {
		_, err := ParseConfig([]byte(fmt.Sprintf(base, policy)))
		if want == "" && err != nil {
			t.Errorf("{%s}: %v", policy, err)
		}
		if want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("{%s}: got %v\nwant it to contain %q", policy, err, want)
		}
	}
}

// The lease must outlast a directory call and fit in the approval window.
func TestLeaseBetweenCallsAndApprovals(t *testing.T) {
	org := func(dir, policy string) string {
		return "orgs:\n  - id: a\n    directory: {kind: ad, url: \"ldaps://dc1\", bind_dn: \"CN=svc\", bind_password_env: X, base_dn: \"DC=a\"" + dir + "}\n    policy: {" + policy + "}\n"
	}
	for _, tc := range []struct{ y, want string }{
		{"recovery: {lease: 20s}\n" + org("", ""), "shorter than twice orgs[0]'s longest directory call (dial_timeout + op_timeout = 15s)"},
		{"recovery: {lease: 5s}\n" + org(", dial_timeout: 1s, op_timeout: 1s", ""), ""},
		{"recovery: {lease: 10m}\n" + org("", "approval_ttl: 10m"), "not shorter than orgs[0].policy.approval_ttl (10m0s)"},
		{"recovery: {lease: 2m}\n" + org("", ""), ""},
	} {
		_, err := ParseConfig([]byte(tc.y))
		if tc.want == "" && err != nil {
			t.Errorf("%q: %v", tc.y, err)
		}
		if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%q: got %v, want %q", tc.y, err, tc.want)
		}
	}
}

func TestMaxConcurrentResetsReachesTheOrg(t *testing.T) {
	const org = "orgs:\n  - id: acme\n    directory: { kind: demo, dev_mode: true, max_concurrent_resets: %s }\n"
	if _, err := ParseConfig([]byte(strings.Replace(org, "%s", "-1", 1))); err == nil || !strings.Contains(err.Error(), "orgs[0].directory.max_concurrent_resets: must be 0 (no bound) to 1000") {
		t.Fatalf("negative limit: %v", err)
	}
	cfg, err := ParseConfig([]byte("audit: { file: " + filepath.Join(t.TempDir(), "a.jsonl") + ", hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }] }\n" + strings.Replace(org, "%s", "4", 1)))
	if err != nil {
		t.Fatal(err)
	}
	a, err := buildApp(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.orgs[0].MaxConcurrentWrites != 4 {
		t.Fatalf("the org's limit is %d, want 4", a.orgs[0].MaxConcurrentWrites)
	}
}

// TestBurstConfig: the alert is on by default, -1 turns one off, and a
// bad threshold or window is named.
func TestBurstConfig(t *testing.T) {
	const org = "orgs:\n  - id: acme\n    directory: { kind: demo, dev_mode: true }\n"
	cfg, err := ParseConfig([]byte(org))
	if err != nil {
		t.Fatal(err)
	}
	if b := cfg.Limits.Burst; b.Technician != 10 || b.Org != 30 || b.Window != 10*time.Minute {
		t.Fatalf("defaults: %+v", b)
	}
	cfg, err = ParseConfig([]byte("limits: { burst: { technician: -1, org: 5, window: 1h } }\n" + org))
	if err != nil || cfg.Limits.Burst.Technician != -1 || cfg.Limits.Burst.Org != 5 || cfg.Limits.Burst.Window != time.Hour {
		t.Fatalf("explicit values: %+v, %v", cfg.Limits.Burst, err)
	}
	for yaml, want := range map[string]string{
		"limits: { burst: { technician: -2 } }\n": "limits.burst: thresholds must be a number of requests, or -1 for no alert",
		"limits: { burst: { window: 30s } }\n":    "limits.burst.window: must be between 1m and 24h (got 30s)",
	} {
		if _, err := ParseConfig([]byte(yaml + org)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", yaml, err, want)
		}
	}
}
