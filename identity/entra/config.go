// Package entra implements identity.Directory for Microsoft Entra ID (cloud
// and hybrid accounts) over Microsoft Graph v1.0 REST, with a small client of
// our own: the official Go SDK is about 200 MB of generated source and slow
// to build, and we call a dozen endpoints.
//
// The bot signs in as an app registration with the client-credentials grant
// and application permissions; it reports facts (roles, deny groups,
// disabled, synced) and the reset flow decides. What Graph cannot do is said
// plainly: there is no admin unlock (smart lockout is neither visible nor
// clearable), and a password cannot be proven without signing in as the user.
package entra

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

// Defaults applied by New for zero values.
const (
	DefaultAuthorityURL = "https://login.microsoftonline.com"
	DefaultGraphURL     = "https://graph.microsoft.com/v1.0"
	DefaultTimeout      = 15 * time.Second
	DefaultSearchLimit  = 25
	maxSearchLimit      = 100 // Graph's $top for users goes to 999; a type-ahead needs far fewer
)

// Config describes one organization's tenant. The key names in error
// messages (tenant_id, client_id, ...) are the configuration file's.
type Config struct {
	TenantID     string          // tenant_id: directory (tenant) id, a GUID, or a verified domain
	ClientID     string          // client_id: application (client) id of the app registration
	ClientSecret identity.Secret // client_secret
	AuthorityURL string          // authority_url: default https://login.microsoftonline.com
	GraphURL     string          // graph_url: default https://graph.microsoft.com/v1.0
	HTTPClient   *http.Client    // nil: a client with Timeout
	// DenyGroups (deny_groups) are group object ids whose transitive
	// members the bot refuses.
	DenyGroups []string
	// IntentionalLockGroup (intentional_lock_group) is the group object id
	// of accounts locked on purpose (/lock): the guard refuses its
	// transitive members, and the Locker adds and removes direct ones.
	IntentionalLockGroup string
	// Domains (domains), when set, are the UPN suffixes in scope
	// ("contoso.com"); an account with another suffix is out of scope.
	// Empty: the whole tenant is the scope.
	Domains []string
	// ForceChangeWithMFA (force_change_with_mfa) writes
	// forceChangePasswordNextSignInWithMfa for a temporary password: the
	// user passes MFA before choosing a new one.
	ForceChangeWithMFA bool
	// RevokeSessions (revoke_sessions) signs the user out everywhere after a
	// reset. A nil pointer means true: the default protects the user.
	RevokeSessions *bool
	Timeout        time.Duration // timeout: per Graph or token call, default 15s
	SearchLimit    int           // search_limit: cap of type-ahead results, default 25
	// VerifyAttributes (verify_attributes) are Graph user properties
	// Lookup reads into Account.Attributes (employeeId, mobilePhone,
	// otherMails, ...; profile.go): what the org verifies a caller
	// against. Only Lookup reads them, never Search.
	VerifyAttributes []string
}

// ConfigError names the configuration key that is wrong.
type ConfigError struct {
	Key     string
	Problem string
}

func (e *ConfigError) Error() string { return e.Key + ": " + e.Problem }

var (
	guidRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	domainRE = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)
)

func (c Config) withDefaults() Config {
	if c.AuthorityURL == "" {
		c.AuthorityURL = DefaultAuthorityURL
	}
	if c.GraphURL == "" {
		c.GraphURL = DefaultGraphURL
	}
	c.AuthorityURL = strings.TrimRight(c.AuthorityURL, "/")
	c.GraphURL = strings.TrimRight(c.GraphURL, "/")
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.SearchLimit <= 0 {
		c.SearchLimit = DefaultSearchLimit
	}
	if c.RevokeSessions == nil {
		t := true
		c.RevokeSessions = &t
	}
	c.DenyGroups = append([]string(nil), c.DenyGroups...)
	c.Domains = append([]string(nil), c.Domains...)
	var attrs []string
	for _, a := range c.VerifyAttributes {
		if p, ok := VerifyProperty(a); ok {
			a = p // Graph's spelling: the key Attributes are read by
		}
		if !slices.Contains(attrs, a) {
			attrs = append(attrs, a)
		}
	}
	c.VerifyAttributes = attrs
	for i, d := range c.Domains {
		c.Domains[i] = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
	}
	return c
}

// Validate reports the first problem, naming its key; empty URLs are the
// defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case !guidRE.MatchString(c.TenantID) && !domainRE.MatchString(c.TenantID):
		return &ConfigError{"tenant_id", "must be the directory (tenant) id, a GUID, from Entra admin center → Overview"}
	case !guidRE.MatchString(c.ClientID):
		return &ConfigError{"client_id", "must be the application (client) id, a GUID, from the app registration's Overview"}
	case c.ClientSecret.IsZero():
		return &ConfigError{"client_secret", "is empty: create one under the app registration → Certificates & secrets"}
	case c.SearchLimit > maxSearchLimit:
		return &ConfigError{"search_limit", fmt.Sprintf("must be at most %d", maxSearchLimit)}
	}
	for _, key := range []struct{ name, v string }{{"authority_url", c.AuthorityURL}, {"graph_url", c.GraphURL}} {
		u, err := url.Parse(key.v)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !isLoopback(u.Hostname())) {
			return &ConfigError{key.name, "must be an https:// URL"}
		}
	}
	for _, g := range c.DenyGroups {
		if !guidRE.MatchString(g) {
			return &ConfigError{"deny_groups", fmt.Sprintf("%q is not a group object id (a GUID from the group's Overview)", g)}
		}
	}
	if g := c.IntentionalLockGroup; g != "" && !guidRE.MatchString(g) {
		return &ConfigError{"intentional_lock_group", fmt.Sprintf("%q is not a group object id (a GUID from the group's Overview)", g)}
	}
	for _, d := range c.Domains {
		if !domainRE.MatchString(d) {
			return &ConfigError{"domains", fmt.Sprintf("%q is not a domain name", d)}
		}
	}
	return checkVerifyAttributes(c.VerifyAttributes)
}

// isLoopback allows http:// only for a test server on this machine.
func isLoopback(host string) bool {
	return host == "127.0.0.1" || host == "::1" || host == "localhost"
}

func (c Config) revoke() bool { return c.RevokeSessions == nil || *c.RevokeSessions }
