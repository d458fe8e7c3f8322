package ldap

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

func TestADPasswordEncoding(t *testing.T) {
	for _, c := range []struct {
		pw   string
		want []byte
	}{
		{"ab", []byte{'"', 0, 'a', 0, 'b', 0, '"', 0}},
		{"é", []byte{'"', 0, 0xe9, 0, '"', 0}},
		// Outside the BMP: a surrogate pair, low unit first in each pair of bytes.
		{"😀", []byte{'"', 0, 0x3d, 0xd8, 0x00, 0xde, '"', 0}},
		{"", []byte{'"', 0, '"', 0}},
	} {
		if got := adPassword(c.pw); !bytes.Equal(got, c.want) {
			t.Errorf("adPassword(%q) = % x, want % x", c.pw, got, c.want)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for _, bad := range []string{"", "   ", "a\x00b", "a\nb", strings.Repeat("x", maxPasswordLen+1), "\xff\xfe"} {
		if checkPassword(bad) == nil {
			t.Errorf("checkPassword(%q) accepted", bad)
		}
	}
	if err := checkPassword("Lab-Passw0rd! with spaces"); err != nil {
		t.Errorf("a normal password was refused: %v", err)
	}
}

func TestFiltersEscapeInput(t *testing.T) {
	ad := &Directory{cfg: Config{Kind: KindAD}.withDefaults()}
	gen := &Directory{cfg: Config{Kind: KindLDAP, UserFilter: "department=IT"}.withDefaults()}
	for in, want := range map[string]string{
		"*":        `\2a*`,
		"a)(cn=*":  `a\29\28cn=\2a*`,
		`bob\`:     `bob\5c*`,
		"al*ce":    `al\2ace*`,
		"Zoë":      `Zo\c3\ab*`,
		"smith, j": "smith, j*",
	} {
		f := ad.prefixFilter(in)
		if !strings.Contains(f, "(sAMAccountName="+want+")") {
			t.Errorf("AD prefix filter for %q = %s, want sAMAccountName=%s", in, f, want)
		}
		if strings.Count(f, "*") != 4 { // exactly the one trailing wildcard per attribute
			t.Errorf("AD prefix filter for %q has extra wildcards: %s", in, f)
		}
		g := gen.prefixFilter(in)
		if !strings.Contains(g, "(uid="+want+")") || !strings.Contains(g, "(department=IT)") {
			t.Errorf("LDAP prefix filter for %q = %s", in, g)
		}
	}
	if f := ad.exactFilter("a*"); strings.Contains(f, "=a*") {
		t.Errorf("exact filter has a wildcard: %s", f)
	}
}

func TestCheckText(t *testing.T) {
	for in, want := range map[string]error{
		"a\x00b":                             errNUL,
		strings.Repeat("a", maxQueryLen+1):   errTooLong,
		"\xc3":                               errNotUTF8,
		"tab\there":                          errControls,
		strings.Repeat("é", maxQueryLen):     nil,
		"":                                   nil,
		"a)(objectClass=*)(|(sAMAccountName": nil, // legal text; the filter escapes it
	} {
		if got := checkText(in, maxQueryLen, true); !errors.Is(got, want) {
			t.Errorf("checkText(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestFileTime(t *testing.T) {
	if !fileTime("0").IsZero() || !fileTime("9223372036854775807").IsZero() || !fileTime("").IsZero() {
		t.Error("0, never and empty must be the zero time")
	}
	// 2026-11-30 10:22:05 UTC, as Samba wrote pwdLastSet in the lab.
	got := fileTime("134405077250000000")
	if want := time.Date(2026, 11, 30, 10, 22, 5, 0, time.UTC); !got.Equal(want) {
		t.Errorf("fileTime = %v, want %v", got, want)
	}
}

func TestProtectedSIDs(t *testing.T) {
	for sid, want := range map[string]string{
		"S-1-5-32-544":                 "Administrators",
		"S-1-5-32-551":                 "Backup Operators",
		"S-1-5-21-1-2-3-512":           "Domain Admins",
		"S-1-5-21-9-9-9-519":           "Enterprise Admins", // forest root domain, other SID
		"S-1-5-21-1-2-3-520":           "Group Policy Creator Owners",
		"S-1-5-21-1-2-3-513":           "",
		"S-1-5-32-545":                 "",
		"S-1-5-21-1-2-3-1512":          "",
		"S-1-5-21-3533380460-26-9-518": "Schema Admins",
		"S-1-5-21-1-2-3-526":           "Key Admins",
		"S-1-5-21-1-2-3-527":           "Enterprise Key Admins",
		"S-1-5-32-552":                 "Replicator",
		"S-1-5-32-569":                 "Cryptographic Operators",
		"S-1-5-32-578":                 "Hyper-V Administrators",
		"S-1-5-21-1-2-3-516":           "Domain Controllers",
		"S-1-5-21-1-2-3-521":           "Read-only Domain Controllers",
		"S-1-5-21-9-9-9-498":           "Enterprise Read-only Domain Controllers", // forest root domain
		"S-1-5-21-1-2-3-515":           "",                                        // Domain Computers
		"S-1-5-32-568":                 "",                                        // IIS_IUSRS
	} {
		got, ok := protectedName(sid)
		if got != want || ok != (want != "") {
			t.Errorf("protectedName(%s) = %q, %v; want %q", sid, got, ok, want)
		}
	}
	// S-1-5-21-3533380460-264033584-992150952-512 as AD stores it.
	raw := []byte{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0x6c, 0x1b, 0x9b, 0xd2, 0x30, 0xd5, 0xbc, 0x0f, 0xa8, 0x05, 0x23, 0x3b, 0, 2, 0, 0}
	sid, n, err := parseSID(raw)
	if err != nil || n != len(raw) || sid != "S-1-5-21-3533380460-264033584-992150952-512" {
		t.Errorf("parseSID = %q, %d, %v", sid, n, err)
	}
	if _, _, err := parseSID(raw[:10]); err == nil {
		t.Error("a truncated SID was accepted")
	}
}

func TestConfigValidateNamesKey(t *testing.T) {
	good := Config{Kind: KindAD, URL: "ldaps://dc1.example.com", BindDN: "CN=svc,DC=example,DC=com",
		BindPassword: identity.NewSecret("x"), BaseDN: "OU=Staff,DC=example,DC=com"}
	if err := good.Validate(); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
	for key, mod := range map[string]func(*Config){
		"kind":                   func(c *Config) { c.Kind = "novell" },
		"url":                    func(c *Config) { c.URL = "ldap://dc1" }, // plain without StartTLS
		"start_tls":              func(c *Config) { c.StartTLS = true },    // with ldaps://
		"insecure_skip_verify":   func(c *Config) { c.InsecureSkipVerify = true },
		"bind_dn":                func(c *Config) { c.BindDN = " " },
		"bind_password":          func(c *Config) { c.BindPassword = identity.Secret{} },
		"base_dn":                func(c *Config) { c.BaseDN = "not a dn" },
		"user_filter":            func(c *Config) { c.UserFilter = "(&(a=b)" },
		"deny_groups[1]":         func(c *Config) { c.DenyGroups = []string{"CN=G,DC=x", "nope"} },
		"intentional_lock_group": func(c *Config) { c.IntentionalLockGroup = "nope" },
		"default_policy_dn":      func(c *Config) { c.DefaultPolicyDN = "nope" },
		"max_conns":              func(c *Config) { c.MaxConns = 1000 },
		"search_limit":           func(c *Config) { c.SearchLimit = -1 },
	} {
		c := good
		mod(&c)
		var ce *ConfigError
		if err := c.Validate(); !errors.As(err, &ce) || ce.Key != key {
			t.Errorf("%s: got %v", key, err)
		}
	}
	dev := good
	dev.URL, dev.DevMode, dev.InsecureSkipVerify = "ldap://127.0.0.1:3890", true, true
	if err := dev.Validate(); err != nil {
		t.Errorf("dev mode config refused: %v", err)
	}
	if _, err := New(Config{Kind: KindAD}); identity.KindOf(err) != identity.KindInvalid {
		t.Errorf("New with a bad config: %v", err)
	}
}
