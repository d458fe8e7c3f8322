package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExampleConfigIsValid(t *testing.T) {
	b, err := os.ReadFile("../../docs/unlockbot.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The example points at the lab CA; stand in a readable file for it.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, []byte("x"), 0o600)
	c, err := ParseConfig([]byte(strings.ReplaceAll(string(b), "/var/lib/unlockbot-lab/samba/tls/ca.pem", ca)))
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	if len(c.Orgs) < 2 || !*c.Orgs[0].Policy.RequireApproval {
		t.Fatalf("example parsed wrong: %+v", c.Orgs)
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
		"bad kind":       {`kind: ad`, `orgs[0].directory.kind: must be ad, ldap or demo (got "adx")`},
		"missing ca":     {`%CA%`, "orgs[0].directory.ca_file: cannot be read"},
		"redis w/o key":  {`orgs:`, "seal_key_env: is required with Redis"},
		"bad min length": {`orgs:`, "orgs[0].policy.min_password_length: must be between 8 and 128"},
		"redis password": {`orgs:`, "redis_url: holds a password; secrets are never written in the file"},
		"demo w/o dev":   {`kind: ad`, "orgs[0].directory.kind: demo is the built-in fake directory; set dev_mode: true"},
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
