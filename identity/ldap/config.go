// Package ldap implements identity.Directory over LDAP, for Active Directory
// (Kind "ad", tested against a Samba AD DC) and generic LDAP with the
// password-policy overlay (Kind "ldap", tested against OpenLDAP slapd).
//
// The bot binds as a delegated service account, never as an administrator;
// it reports facts (lock, disabled, protected groups, deny groups) and the
// reset flow decides. Writes go only over LDAPS or StartTLS.
package ldap

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

// Kind selects the directory dialect.
type Kind string

const (
	KindAD   Kind = "ad"   // Active Directory or Samba AD
	KindLDAP Kind = "ldap" // generic LDAP with ppolicy (OpenLDAP)
)

// Defaults applied by New for zero values.
const (
	DefaultMaxConns    = 4
	DefaultDialTimeout = 5 * time.Second
	DefaultOpTimeout   = 10 * time.Second
	DefaultSearchLimit = 50

	maxMaxConns    = 64
	maxSearchLimit = 1000
)

// Config describes one organization's directory. The key names used in
// error messages (kind, url, start_tls, ...) are the ones the configuration
// file uses.
type Config struct {
	Kind     Kind   // kind: "ad" or "ldap"
	URL      string // url: ldaps://host[:636] or ldap://host[:389] with StartTLS
	StartTLS bool   // start_tls: upgrade an ldap:// connection before binding
	CAFile   string // ca_file: PEM bundle that signs the server certificate; empty = system roots
	// InsecureSkipVerify (insecure_skip_verify) skips certificate checks and
	// is accepted only together with DevMode.
	InsecureSkipVerify bool
	// DevMode (dev_mode) is for a lab: it allows InsecureSkipVerify and a
	// plain ldap:// URL for reads. Writes over plain LDAP are refused even then.
	DevMode bool

	BindDN       string          // bind_dn: the delegated bot account (DN, or UPN for AD)
	BindPassword identity.Secret // bind_password
	BaseDN       string          // base_dn: only accounts below it are found or written
	UserFilter   string          // user_filter: optional extra filter ANDed to every account search

	DenyGroups           []string // deny_groups: DNs of groups whose (nested) members are refused
	IntentionalLockGroup string   // intentional_lock_group: DN of the "locked on purpose" group
	// DefaultPolicyDN (default_policy_dn, kind ldap) names the password
	// policy entry slapd applies to accounts without pwdPolicySubentry
	// (olcPPolicyDefault). The bot cannot read cn=config, so without it
	// Lookup cannot say when such an account's password expires.
	DefaultPolicyDN string
	// VerifyAttributes are extra attributes Lookup reads into
	// Account.Attributes (mobile, otherMailbox, employeeID, ...): what the
	// org verifies a caller against. Only Lookup reads them, never Search.
	VerifyAttributes []string

	MaxConns    int           // max_conns: connections to the directory at once (default 4)
	DialTimeout time.Duration // dial_timeout: connect + TLS + bind (default 5s)
	OpTimeout   time.Duration // op_timeout: one LDAP operation (default 10s)
	SearchLimit int           // search_limit: most accounts one Search returns (default 50)
}

// ConfigError names the configuration key that is wrong.
type ConfigError struct {
	Key     string
	Problem string
}

func (e *ConfigError) Error() string { return "ldap config: " + e.Key + ": " + e.Problem }

func bad(key, format string, args ...any) error {
	return &ConfigError{Key: key, Problem: fmt.Sprintf(format, args...)}
}

// withDefaults returns a copy with zero values defaulted; slices are cloned
// so a caller mutating its Config later does not change a running Directory.
func (c Config) withDefaults() Config {
	c.DenyGroups = append([]string(nil), c.DenyGroups...)
	c.VerifyAttributes = append([]string(nil), c.VerifyAttributes...)
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.OpTimeout == 0 {
		c.OpTimeout = DefaultOpTimeout
	}
	if c.SearchLimit == 0 {
		c.SearchLimit = DefaultSearchLimit
	}
	c.UserFilter = strings.TrimSpace(c.UserFilter)
	if c.UserFilter != "" && !strings.HasPrefix(c.UserFilter, "(") {
		c.UserFilter = "(" + c.UserFilter + ")"
	}
	return c
}

// Validate checks the configuration (after defaults) and returns a
// *ConfigError naming the first bad key.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Kind != KindAD && c.Kind != KindLDAP {
		return bad("kind", "must be %q or %q, not %q", KindAD, KindLDAP, c.Kind)
	}
	u, err := url.Parse(c.URL)
	if err != nil || c.URL == "" {
		return bad("url", "must be ldaps://host[:port] or ldap://host[:port]")
	}
	switch u.Scheme {
	case "ldaps":
		if c.StartTLS {
			return bad("start_tls", "cannot be combined with ldaps:// (already encrypted)")
		}
	case "ldap":
		if !c.StartTLS && !c.DevMode {
			return bad("url", "plain ldap:// sends the bot password in clear; use ldaps:// or start_tls (dev_mode allows it in a lab)")
		}
	default:
		return bad("url", "scheme must be ldaps or ldap, not %q", u.Scheme)
	}
	if u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return bad("url", "must be only scheme://host[:port]")
	}
	if c.InsecureSkipVerify && !c.DevMode {
		return bad("insecure_skip_verify", "allowed only with dev_mode")
	}
	for _, a := range c.VerifyAttributes {
		if !attrName.MatchString(a) {
			return bad("verify_attributes", "%q is not an attribute name (letters, digits and hyphens)", a)
		}
	}
	if strings.TrimSpace(c.BindDN) == "" {
		return bad("bind_dn", "required (the delegated bot account)")
	}
	if c.BindPassword.IsZero() {
		return bad("bind_password", "required")
	}
	base, err := ldap.ParseDN(c.BaseDN)
	if err != nil || len(base.RDNs) == 0 {
		return bad("base_dn", "must be a DN such as OU=Staff,DC=example,DC=com")
	}
	if c.UserFilter != "" {
		if _, err := ldap.CompileFilter(c.UserFilter); err != nil {
			return bad("user_filter", "not a valid LDAP filter: %v", err)
		}
	}
	for i, g := range c.DenyGroups {
		if dn, err := ldap.ParseDN(g); err != nil || len(dn.RDNs) == 0 {
			return bad(fmt.Sprintf("deny_groups[%d]", i), "must be a group DN")
		}
	}
	if c.IntentionalLockGroup != "" {
		if dn, err := ldap.ParseDN(c.IntentionalLockGroup); err != nil || len(dn.RDNs) == 0 {
			return bad("intentional_lock_group", "must be a group DN")
		}
	}
	if c.DefaultPolicyDN != "" {
		if dn, err := ldap.ParseDN(c.DefaultPolicyDN); err != nil || len(dn.RDNs) == 0 {
			return bad("default_policy_dn", "must be the DN of a password policy entry")
		}
	}
	switch {
	case c.MaxConns < 1 || c.MaxConns > maxMaxConns:
		return bad("max_conns", "must be between 1 and %d", maxMaxConns)
	case c.DialTimeout < 0:
		return bad("dial_timeout", "must be positive")
	case c.OpTimeout < 0:
		return bad("op_timeout", "must be positive")
	case c.SearchLimit < 1 || c.SearchLimit > maxSearchLimit:
		return bad("search_limit", "must be between 1 and %d", maxSearchLimit)
	}
	return nil
}

// attrName is an LDAP attribute description without options.
var attrName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,63}$`)
