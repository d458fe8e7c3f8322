package ldap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"sync"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
)

// Directory is one organization's directory. It is safe for concurrent use;
// at most Config.MaxConns connections are open or in use at once.
type Directory struct {
	cfg   Config
	base  *ldap.DN
	addr  string // host:port
	ldaps bool
	tls   *tls.Config

	slots chan struct{} // semaphore: one token per connection in use
	mu    sync.Mutex
	idle  []pooled
	// proofs are connections kept only for binding as a user to prove a
	// new password (Verify): never used for a search or a write, so an
	// identity a user's bind left on one cannot reach the bot's work. Kept
	// because a storm of resets would otherwise cost the DC a TLS
	// handshake per proof.
	proofs []pooled
	done   bool

	groups   groupCache // AD: SIDs of the configured deny / intentional-lock groups
	suffix   suffixCache
	policies policyCache // ppolicy: pwdMaxAge of the policies accounts use
	botID    botCache    // AD: the bot's own SIDs
	guids    guidCache   // AD: which ACE GUIDs cover adminCount
}

var _ identity.Directory = (*Directory)(nil)

// New validates cfg and returns a Directory. It does not connect: the first
// operation (or Ping / Check) does.
func New(cfg Config) (*Directory, error) {
	const op = "ldap.New"
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, identity.E(op, identity.KindInvalid, "The directory configuration is invalid: "+err.Error(), err)
	}
	u, _ := url.Parse(cfg.URL) // validated above
	d := &Directory{
		cfg:   cfg,
		ldaps: u.Scheme == "ldaps",
		slots: make(chan struct{}, cfg.MaxConns),
	}
	d.base, _ = ldap.ParseDN(cfg.BaseDN)
	port := u.Port()
	if port == "" {
		port = "389"
		if d.ldaps {
			port = "636"
		}
	}
	d.addr = net.JoinHostPort(u.Hostname(), port)

	d.tls = &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         u.Hostname(),
		InsecureSkipVerify: cfg.InsecureSkipVerify && cfg.DevMode, //nolint:gosec // dev mode only, refused otherwise by Validate
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			err = &ConfigError{Key: "ca_file", Problem: err.Error()}
			return nil, identity.E(op, identity.KindInvalid, "The directory configuration is invalid: "+err.Error(), err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			err = &ConfigError{Key: "ca_file", Problem: "no PEM certificate found in " + cfg.CAFile}
			return nil, identity.E(op, identity.KindInvalid, "The directory configuration is invalid: "+err.Error(), err)
		}
		d.tls.RootCAs = pool
	}
	return d, nil
}

// Close closes idle connections; connections in use close when returned.
func (d *Directory) Close() error {
	d.mu.Lock()
	idle := slices.Concat(d.idle, d.proofs)
	d.idle, d.proofs, d.done = nil, nil, true
	d.mu.Unlock()
	for _, p := range idle {
		_ = p.c.Close()
	}
	return nil
}

// Kind reports the configured dialect.
func (d *Directory) Kind() Kind { return d.cfg.Kind }

// secure reports whether the transport is encrypted (LDAPS or StartTLS).
// Writes and user binds are refused otherwise, before anything is sent.
func (d *Directory) secure() bool { return d.ldaps || d.cfg.StartTLS }

// Ping binds (or reuses a bound connection) and reads the root DSE.
func (d *Directory) Ping(ctx context.Context) error {
	const op = "ldap.(*Directory).Ping"
	err := d.with(ctx, func(c *ldap.Conn) error {
		_, err := c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases,
			1, 0, false, "(objectClass=*)", []string{"namingContexts"}, nil))
		return err
	})
	return d.classify(op, actRead, err)
}

// inScope reports whether dn lies below the base DN (case-insensitive).
func (d *Directory) inScope(dn string) bool {
	parsed, err := ldap.ParseDN(dn)
	if err != nil {
		return false
	}
	return d.base.AncestorOfFold(parsed) || d.base.EqualFold(parsed)
}

// target returns the DN of acct for a write, refusing anything outside the
// base DN: defence in depth behind the flow's own scope check.
func (d *Directory) target(op string, acct identity.Account) (string, error) {
	if acct.ID == "" {
		return "", identity.E(op, identity.KindInvalid, "No account was selected.", fmt.Errorf("empty account ID: %w", identity.ErrNotFound))
	}
	parsed, err := ldap.ParseDN(acct.ID)
	if err != nil || !d.base.AncestorOfFold(parsed) {
		return "", identity.E(op, identity.KindForbidden,
			"This account is outside the part of the directory the bot may change.",
			fmt.Errorf("%q is not below base DN %q", acct.ID, d.cfg.BaseDN))
	}
	return acct.ID, nil
}
