package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The smtp block and notify_owner are checked at load, each error naming
// its key; the password is read only at start, and never shown.
func TestSMTPConfig(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, []byte("not pem"), 0o600)
	org := `
orgs:
  - id: acme
    directory: {kind: demo, dev_mode: true}
    policy: {notify_owner: %s}
`
	for name, tc := range map[string]struct{ head, owner, want string }{
		"email without smtp": {"", "{email: true}", "orgs[0].policy.notify_owner.email: needs the smtp block"},
		"manager alone":      {"", "{manager: true}", "orgs[0].policy.notify_owner.manager: needs chat or email"},
		"contact two lines":  {"", `{chat: true, contact: "call\nBcc: x"}`, "orgs[0].policy.notify_owner.contact: must be one line"},
		"inline password":    {`smtp: {addr: "mail:587", from: "it@example.test", username: u, password: hunter2}`, "{}", "smtp.password: secrets are never written"},
		"user without pw":    {`smtp: {addr: "mail:587", from: "it@example.test", username: u}`, "{}", "smtp.username: needs password_env or password_file"},
		"from with a break":  {`smtp: {addr: "mail:587", from: "it@example.test\r\nBcc: v@example.test"}`, "{}", "smtp: mailer.New: from: a header value holds a line break"},
		"bad ca":             {`smtp: {addr: "mail:587", from: "it@example.test", ca_file: "` + ca + `"}`, "{}", "holds no PEM certificate"},
		"no port":            {`smtp: {addr: "mail", from: "it@example.test"}`, "{}", "must be host:port"},
	} {
		t.Run(name, func(t *testing.T) {
			y := tc.head + strings.Replace(org, "%s", tc.owner, 1)
			_, err := ParseConfig([]byte(y))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatal("error repeats the secret")
			}
		})
	}
	good := "smtp: {addr: \"mail:587\", from: \"it@example.test\", username: u, password_env: SMTP_PW_UNSET}\n" +
		strings.Replace(org, "%s", "{chat: true, email: true, manager: true}", 1)
	cfg, err := ParseConfig([]byte(good))
	if err != nil {
		t.Fatalf("good config: %v", err)
	}
	if _, err := cfg.SMTP.mailer(); err == nil || !strings.Contains(err.Error(), "SMTP_PW_UNSET is not set") {
		t.Fatalf("mailer without its password: %v", err)
	}
}
