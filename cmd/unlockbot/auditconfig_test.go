package main

import (
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestAuditConfigErrorsNameTheKey(t *testing.T) {
	const org = "\norgs:\n  - id: acme\n    directory: { kind: demo, dev_mode: true }\n"
	for name, c := range map[string]struct{ audit, want string }{
		"no id":         {`hmac_keys: [{ key_env: K }]`, "audit.hmac_keys[0].id: is required"},
		"twice":         {`hmac_keys: [{ id: a, key_env: K }, { id: a, key_env: L }]`, `audit.hmac_keys[1].id: "a" is listed twice`},
		"env and file":  {`hmac_keys: [{ id: a, key_env: K, key_file: /k }]`, "audit.hmac_keys[0]: set exactly one of key_env and key_file"},
		"inline key":    {`hmac_keys: [{ id: a, key: hunter2hunter2 }]`, "field key not found"},
		"current":       {`hmac_keys: [{ id: a, key_env: K }], hmac_key_id: b`, `audit.hmac_key_id: "b" is not one of audit.hmac_keys`},
		"network":       {`hmac_keys: [{ id: a, key_env: K }], syslog: { network: udp, addr: "h:514" }`, `audit.syslog.network: must be tcp or tls (got "udp")`},
		"addr":          {`hmac_keys: [{ id: a, key_env: K }], syslog: { network: tls, addr: siem }`, `audit.syslog.addr: must be host:port`},
		"tcp with tls":  {`hmac_keys: [{ id: a, key_env: K }], syslog: { network: tcp, addr: "h:514", ca_file: /ca }`, "is tcp but TLS files are set"},
		"cert w/o key":  {`hmac_keys: [{ id: a, key_env: K }], syslog: { addr: "h:6514", cert_file: /c }`, "audit.syslog.cert_file: and key_file go together"},
		"facility":      {`hmac_keys: [{ id: a, key_env: K }], syslog: { addr: "h:6514", facility: 24 }`, "audit.syslog.facility: must be 0 to 23"},
		"stream no url": {`hmac_keys: [{ id: a, key_env: UNLOCKBOT_TEST_AUDIT_KEY }], redis_stream: {}`, "audit.redis_stream needs redis_url"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte("audit: { file: " + t.TempDir() + "/a.jsonl, " + c.audit + " }" + org))
			if err == nil {
				_, err = openTrail(cfg, nil, zerolog.Nop())
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant %q", err, c.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatal("the error repeats the inline key")
			}
		})
	}
}

func TestAuditKeysMustBeStrong(t *testing.T) {
	for name, v := range map[string]string{"unset": "", "short": "c2hvcnQ=", "not base64": "%%%%"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("WEAK_AUDIT_KEY", v)
			c := AuditConfig{HMACKeys: []AuditKey{{ID: "k1", KeyEnv: "WEAK_AUDIT_KEY"}}}
			if _, err := c.Keyring(); err == nil || (v != "" && !strings.Contains(err.Error(), "at least 32 random bytes")) {
				t.Fatalf("weak key accepted or unclear: %v", err)
			}
		})
	}
	if _, err := (&AuditConfig{}).Keyring(); err == nil || !strings.Contains(err.Error(), "head -c32 /dev/urandom") {
		t.Fatalf("no key: %v", err)
	}
}
