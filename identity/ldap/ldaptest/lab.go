// Package ldaptest gives tests access to the lab directories that
// .ci/samba.sh (Samba AD DC) and .ci/slapd.sh (OpenLDAP with ppolicy) start
// on loopback: their settings from lab.env, and administrator helpers to lock
// accounts for real and to put them back. Only setup and restore use the
// administrator; the code under test binds as the delegated bot account.
//
// When a lab server is not reachable a test is skipped, except when
// CI=true, where it fails: CI must never pass by skipping.
package ldaptest

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Server is one lab directory.
type Server struct {
	Kind              string // "ad" or "ldap"
	URL               string // ldaps://
	PlainURL          string // ldap:// without TLS
	CAFile            string
	BaseDN            string // the domain root / suffix
	UsersDN           string // OU=Staff / ou=people: where the bot is delegated
	OutsideDN         string // a sibling OU the bot must not touch
	AdminDN           string
	AdminPassword     string
	BotDN             string
	BotPassword       string
	UserPassword      string // every fixture user's password after Restore
	DenyGroupDN       string // AD: "IT Tier0" (nested into Domain Admins); ldap: cn=tier0
	IntentionalLockDN string
	LockoutThreshold  int

	// AD only: the fine-grained password policy "Strict" (24 characters,
	// complexity, 10-day maximum age), applied to the group "PSO Strict"
	// whose member pso1 has its own password, long enough for it.
	PSODN           string
	PSOGroupDN      string
	PSOUserPassword string
}

// LabDir is where the lab scripts keep their state.
func LabDir() string {
	if d := os.Getenv("UNLOCKBOT_LAB_DIR"); d != "" {
		return d
	}
	return "/var/lib/unlockbot-lab"
}

// AD returns the Samba AD lab, or skips (fails under CI) when it is not up.
func AD(t testing.TB) *Server {
	t.Helper()
	env := load(t, "samba", ".ci/samba.sh")
	s := &Server{
		Kind: "ad", URL: env["LAB_AD_URL"], PlainURL: env["LAB_AD_STARTTLS_URL"], CAFile: env["LAB_AD_CA_FILE"],
		BaseDN: env["LAB_AD_BASE_DN"], UsersDN: env["LAB_AD_STAFF_DN"], OutsideDN: env["LAB_AD_OUTSIDE_DN"],
		AdminDN: env["LAB_AD_ADMIN_DN"], AdminPassword: env["LAB_AD_ADMIN_PASSWORD"],
		BotDN: env["LAB_AD_BOT_DN"], BotPassword: env["LAB_AD_BOT_PASSWORD"], UserPassword: env["LAB_AD_USER_PASSWORD"],
		DenyGroupDN: env["LAB_AD_TIER0_GROUP_DN"], IntentionalLockDN: env["LAB_AD_INTENTIONAL_LOCK_DN"],
		PSODN: env["LAB_AD_PSO_DN"], PSOGroupDN: env["LAB_AD_PSO_GROUP_DN"], PSOUserPassword: env["LAB_AD_PSO_USER_PASSWORD"],
	}
	s.LockoutThreshold, _ = strconv.Atoi(env["LAB_AD_LOCKOUT_THRESHOLD"])
	s.reachable(t, ".ci/samba.sh")
	return s
}

// Slapd returns the OpenLDAP lab, or skips (fails under CI) when it is not up.
func Slapd(t testing.TB) *Server {
	t.Helper()
	env := load(t, "slapd", ".ci/slapd.sh")
	s := &Server{
		Kind: "ldap", URL: env["LAB_LDAP_URL"], PlainURL: env["LAB_LDAP_PLAIN_URL"], CAFile: env["LAB_LDAP_CA_FILE"],
		BaseDN: env["LAB_LDAP_BASE_DN"], UsersDN: env["LAB_LDAP_PEOPLE_DN"], OutsideDN: env["LAB_LDAP_OUTSIDE_DN"],
		AdminDN: env["LAB_LDAP_ADMIN_DN"], AdminPassword: env["LAB_LDAP_ADMIN_PASSWORD"],
		BotDN: env["LAB_LDAP_BOT_DN"], BotPassword: env["LAB_LDAP_BOT_PASSWORD"], UserPassword: env["LAB_LDAP_USER_PASSWORD"],
		DenyGroupDN: env["LAB_LDAP_DENY_GROUP_DN"], IntentionalLockDN: env["LAB_LDAP_INTENTIONAL_LOCK_DN"],
	}
	s.LockoutThreshold, _ = strconv.Atoi(env["LAB_LDAP_LOCKOUT_THRESHOLD"])
	s.reachable(t, ".ci/slapd.sh")
	return s
}

func unavailable(t testing.TB, script string, why error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("lab directory unavailable under CI=true: %v (run %s)", why, script)
	}
	t.Skipf("lab directory not available (%v); start it with `make services` or %s", why, script)
}

// load reads DIR/<name>/lab.env (shell KEY='value' lines).
func load(t testing.TB, name, script string) map[string]string {
	t.Helper()
	path := filepath.Join(LabDir(), name, "lab.env")
	f, err := os.Open(path)
	if err != nil {
		unavailable(t, script, err)
		return nil
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		env[k] = v
	}
	return env
}

func (s *Server) reachable(t testing.TB, script string) {
	t.Helper()
	c, err := s.dial()
	if err != nil {
		unavailable(t, script, fmt.Errorf("%s: %w", s.URL, err))
		return
	}
	c.Close()
}

// TLSConfig trusts the lab CA.
func (s *Server) TLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	if pem, err := os.ReadFile(s.CAFile); err == nil {
		pool.AppendCertsFromPEM(pem)
	}
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

func (s *Server) dial() (*ldap.Conn, error) {
	return ldap.DialURL(s.URL, ldap.DialWithTLSConfig(s.TLSConfig()),
		ldap.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}))
}

// Bind opens a fresh LDAPS connection and binds as dn; it returns the
// directory's answer (nil, or the *ldap.Error with AD's "data XXX").
func (s *Server) Bind(dn, password string) error {
	c, err := s.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Bind(dn, password)
}

// Prover returns an unbound LDAPS connection, closed at cleanup, for
// binding as users again and again: the floor of a benchmark binds on it
// as the Directory binds on its kept proof connections, so neither side
// pays a TLS handshake the other does not.
func (s *Server) Prover(t testing.TB) *ldap.Conn {
	t.Helper()
	c, err := s.dial()
	if err != nil {
		t.Fatalf("dial %s: %v", s.URL, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Admin returns a connection bound as the lab administrator, closed at cleanup.
func (s *Server) Admin(t testing.TB) *ldap.Conn {
	t.Helper()
	c, err := s.dial()
	if err != nil {
		t.Fatalf("dial %s: %v", s.URL, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Bind(s.AdminDN, s.AdminPassword); err != nil {
		t.Fatalf("admin bind: %v", err)
	}
	c.SetTimeout(30 * time.Second)
	return c
}

// Bot returns a connection bound as the delegated bot account.
func (s *Server) Bot(t testing.TB) *ldap.Conn {
	t.Helper()
	c, err := s.dial()
	if err != nil {
		t.Fatalf("dial %s: %v", s.URL, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Bind(s.BotDN, s.BotPassword); err != nil {
		t.Fatalf("bot bind: %v", err)
	}
	return c
}
