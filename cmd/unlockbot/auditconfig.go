package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/unlockbot/unlockbot/audit"
)

// AuditConfig is where the trail goes and the keys that seal it. Every
// record is sealed with the current HMAC key; older keys stay listed so
// records sealed before a rotation still verify.
type AuditConfig struct {
	File      string     `yaml:"file"` // JSON lines, default audit.jsonl
	HMACKeys  []AuditKey `yaml:"hmac_keys"`
	HMACKeyID string     `yaml:"hmac_key_id"` // the key that seals; default the last one listed
	// RedisStream also writes the trail to a stream in the bot's Redis,
	// one chain shared by all replicas.
	RedisStream *AuditStreamConfig `yaml:"redis_stream"`
	Syslog      *AuditSyslogConfig `yaml:"syslog"`
}

// AuditKey is one HMAC key: 32 or more random bytes in base64, from the
// environment or a file, never inline.
type AuditKey struct {
	ID      string `yaml:"id"`
	KeyEnv  string `yaml:"key_env"`
	KeyFile string `yaml:"key_file"`
}

// AuditStreamConfig names the Redis Stream.
type AuditStreamConfig struct {
	Stream string `yaml:"stream"` // default unlockbot:{audit}:stream (after redis_prefix)
}

// AuditSyslogConfig is a SIEM receiving RFC 5424 over TCP or TLS.
type AuditSyslogConfig struct {
	Network    string `yaml:"network"` // tcp or tls (default tls)
	Addr       string `yaml:"addr"`    // host:port
	CAFile     string `yaml:"ca_file"`
	CertFile   string `yaml:"cert_file"` // client certificate, when the receiver asks for one
	KeyFile    string `yaml:"key_file"`
	ServerName string `yaml:"server_name"`
	Buffer     int    `yaml:"buffer"`   // records held while the receiver is away (default 10000)
	Facility   int    `yaml:"facility"` // RFC 5424 facility, default 13 (log audit)
	OmitBOM    bool   `yaml:"omit_bom"` // for receivers that keep the BOM in the message
}

func (a *AuditConfig) validate(bad func(key, format string, args ...any)) {
	ids := map[string]bool{}
	for i, k := range a.HMACKeys {
		switch {
		case k.ID == "":
			bad(fmt.Sprintf("audit.hmac_keys[%d].id", i), "is required: it is written in every record so verify knows the key")
		case ids[k.ID]:
			bad(fmt.Sprintf("audit.hmac_keys[%d].id", i), "%q is listed twice", k.ID)
		case (k.KeyEnv == "") == (k.KeyFile == ""):
			bad(fmt.Sprintf("audit.hmac_keys[%d]", i), "set exactly one of key_env and key_file")
		}
		ids[k.ID] = true
	}
	if a.HMACKeyID != "" && !ids[a.HMACKeyID] {
		bad("audit.hmac_key_id", "%q is not one of audit.hmac_keys", a.HMACKeyID)
	}
	if s := a.Syslog; s != nil {
		if s.Network == "" {
			s.Network = "tls"
		}
		if s.Network != "tcp" && s.Network != "tls" {
			bad("audit.syslog.network", "must be tcp or tls (got %q)", s.Network)
		}
		if !strings.Contains(s.Addr, ":") {
			bad("audit.syslog.addr", "must be host:port (got %q)", s.Addr)
		}
		if s.Network == "tcp" && (s.CAFile != "" || s.CertFile != "") {
			bad("audit.syslog.network", "is tcp but TLS files are set: use tls")
		}
		if s.Facility < 0 || s.Facility > 23 {
			bad("audit.syslog.facility", "must be 0 to 23 (got %d); 13 is log audit", s.Facility)
		}
		if s.Buffer < 0 || s.Buffer > 1000000 {
			bad("audit.syslog.buffer", "must be 0 (default 10000) to 1000000 (got %d)", s.Buffer)
		}
		if (s.CertFile == "") != (s.KeyFile == "") {
			bad("audit.syslog.cert_file", "and key_file go together")
		}
	}
}

// Keyring reads the HMAC keys. Without one nothing starts: a trail
// anyone could rewrite is not an audit trail.
func (a *AuditConfig) Keyring() (*audit.Keyring, error) {
	if len(a.HMACKeys) == 0 {
		return nil, errors.New("config: audit.hmac_keys: list at least one key ({id: k1, key_env: UNLOCKBOT_AUDIT_KEY}); make one with: head -c32 /dev/urandom | base64")
	}
	keys := map[string][]byte{}
	cur := a.HMACKeyID
	for _, k := range a.HMACKeys {
		s, err := ResolveSecret("audit.hmac_keys["+k.ID+"].key", k.KeyEnv, k.KeyFile)
		if err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s.Reveal()))
		if err != nil || len(b) < audit.MinKeyLen {
			return nil, fmt.Errorf("config: audit.hmac_keys[%s]: must be at least %d random bytes in base64 (make one with: head -c32 /dev/urandom | base64)", k.ID, audit.MinKeyLen)
		}
		keys[k.ID] = b
		if a.HMACKeyID == "" {
			cur = k.ID
		}
	}
	return audit.NewKeyring(cur, keys)
}
