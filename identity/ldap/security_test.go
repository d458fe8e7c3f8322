package ldap_test

import (
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// injection is what a technician (or an attacker in the chat) might type.
var injection = []string{"*", "a)(cn=*", `bob\`, "al*ce", "*)(objectClass=*", "a*", `\2a`, "(", "))(|(uid=*"}

func testInjection(t *testing.T, s *ldaptest.Server) {
	ctx := ctxT(t)
	d := newDir(t, s)
	for _, q := range injection {
		got, err := d.Search(ctx, q, 50)
		if err != nil {
			t.Errorf("Search(%q): %v", q, err)
		}
		// No fixture name starts with any of these literally ("a*" would be
		// a wildcard if unescaped and match alice).
		if len(got) != 0 {
			t.Errorf("Search(%q) matched %v", q, labels(got))
		}
		_, err = d.Lookup(ctx, q)
		if identity.KindOf(err) != identity.KindNotFound && identity.KindOf(err) != identity.KindInvalid {
			t.Errorf("Lookup(%q): %v", q, err)
		}
	}
	for _, q := range []string{"a\x00b", "\x00", strings.Repeat("a", 300), "bad\xffutf8", "new\nline"} {
		_, err := d.Search(ctx, q, 10)
		ie := wantKind(t, err, identity.KindInvalid, nil)
		if ie.Safe == "" || strings.ContainsRune(ie.Safe, 0) {
			t.Errorf("Search(%q): safe message %q", q, ie.Safe)
		}
		_, err = d.Lookup(ctx, q)
		wantKind(t, err, identity.KindInvalid, nil)
	}
	if _, err := d.Search(ctx, "a\x00b", 10); !strings.Contains(err.(*identity.Error).Safe, "NUL") {
		t.Errorf("the NUL refusal should say so: %v", err)
	}
}

func TestADInjection(t *testing.T)    { testInjection(t, ldaptest.AD(t)) }
func TestSlapdInjection(t *testing.T) { testInjection(t, ldaptest.Slapd(t)) }

// TestADPolicyRejection: AD's own reason reaches the technician, the password
// does not reach any error text, and the account is unchanged.
func TestADPolicyRejection(t *testing.T) {
	s := ldaptest.AD(t)
	ctx := ctxT(t)
	d := newDir(t, s)
	bob := s.DN(t, "bob")
	t.Cleanup(func() { s.Restore(t, bob) })
	acct, err := d.Lookup(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	for pw, reason := range map[string]string{
		"Sh0rt!":       "the password is too short",
		"abcdefghijkl": "does not meet the complexity criteria",
	} {
		err := d.SetPassword(ctx, acct, identity.PasswordChange{Password: identity.NewSecret(pw)})
		ie := wantKind(t, err, identity.KindInvalid, identity.ErrPolicy)
		if !strings.HasPrefix(ie.Safe, "The directory rejected the password: ") || !strings.Contains(ie.Safe, reason) {
			t.Errorf("safe = %q, want AD's reason %q", ie.Safe, reason)
		}
		if strings.Contains(err.Error(), pw) || strings.Contains(ie.Safe, pw) {
			t.Errorf("the password leaked into the error: %v", err)
		}
	}
	if err := s.Bind(bob, s.UserPassword); err != nil {
		t.Errorf("bob's password changed although the directory refused: %v", err)
	}
}

// TestADMissingRights: the bot can read OU=Outside but holds no delegation
// there; the directory's refusal (50) is named in the bot's terms.
func TestADMissingRights(t *testing.T) {
	s := ldaptest.AD(t)
	ctx := ctxT(t)
	wide := newDir(t, s, func(c *ldap.Config) { c.BaseDN = s.BaseDN })
	a, err := wide.Lookup(ctx, "outsider")
	if err != nil {
		t.Fatal(err)
	}
	ie := wantKind(t, wide.Unlock(ctx, a), identity.KindForbidden, identity.ErrRights)
	if !strings.Contains(ie.Safe, "lacks the right to unlock") || !strings.Contains(ie.Safe, "lockoutTime") {
		t.Errorf("safe = %q", ie.Safe)
	}
	ie = wantKind(t, wide.SetPassword(ctx, a, identity.PasswordChange{Password: identity.NewSecret(newPassword()), Temporary: false}), identity.KindForbidden, identity.ErrRights)
	if !strings.Contains(ie.Safe, "Reset Password") {
		t.Errorf("safe = %q", ie.Safe)
	}
	if err := s.Bind(a.ID, s.UserPassword); err != nil {
		t.Errorf("outsider changed: %v", err)
	}
}

// TestInsecureWriteRefused: with a plain ldap:// URL (allowed for reads in
// dev mode only) Unlock and SetPassword refuse before a byte is sent: the
// listener below never even sees a connection.
func TestInsecureWriteRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	for _, kind := range []ldap.Kind{ldap.KindAD, ldap.KindLDAP} {
		d, err := ldap.New(ldap.Config{Kind: kind, URL: "ldap://" + ln.Addr().String(), DevMode: true,
			BindDN: "CN=svc,DC=example,DC=test", BindPassword: identity.NewSecret("x"), BaseDN: "OU=Staff,DC=example,DC=test"})
		if err != nil {
			t.Fatal(err)
		}
		acct := identity.Account{ID: "CN=Alice Smith,OU=Staff,DC=example,DC=test", Username: "alice"}
		ctx := ctxT(t)
		wantKind(t, d.Unlock(ctx, acct), identity.KindForbidden, identity.ErrInsecure)
		wantKind(t, d.SetPassword(ctx, acct, identity.PasswordChange{Password: identity.NewSecret(newPassword()), Temporary: true}), identity.KindForbidden, identity.ErrInsecure)
		d.Close()
	}
	time.Sleep(50 * time.Millisecond)
	if n := accepted.Load(); n != 0 {
		t.Errorf("%d connections reached the server; writes must refuse before dialing", n)
	}
}

// TestSlapdInsecureWriteRefused does the same against a real server that
// accepts plain binds: reads work in dev mode, the locked account stays
// locked and keeps its password.
func TestSlapdInsecureWriteRefused(t *testing.T) {
	s := ldaptest.Slapd(t)
	ctx := ctxT(t)
	bob := s.DN(t, "bob")
	t.Cleanup(func() { s.Restore(t, bob) })
	s.Restore(t, bob)
	s.Lock(t, bob)
	changed := s.Attr(t, bob, "pwdChangedTime")
	plain := newDir(t, s, func(c *ldap.Config) { c.URL, c.DevMode, c.CAFile = s.PlainURL, true, "" })
	a, err := plain.Lookup(ctx, "bob")
	if err != nil || !a.Lock.Locked {
		t.Fatalf("dev-mode read over plain LDAP: %+v, %v", a, err)
	}
	wantKind(t, plain.Unlock(ctx, a), identity.KindForbidden, identity.ErrInsecure)
	wantKind(t, plain.SetPassword(ctx, a, identity.PasswordChange{Password: identity.NewSecret(newPassword()), Temporary: false}), identity.KindForbidden, identity.ErrInsecure)
	// Verify may read back over plain LDAP in dev mode, but never sends the
	// user's password in clear.
	v, err := plain.Verify(ctx, a, identity.NewSecret(s.UserPassword), false)
	wantKind(t, err, identity.KindForbidden, identity.ErrInsecure)
	if v.Unlocked || v.PasswordWorks {
		t.Errorf("Verify over plain LDAP: %+v", v)
	}
	if !s.Locked(t, bob) {
		t.Error("bob was unlocked over plain LDAP")
	}
	if got := s.Attr(t, bob, "pwdChangedTime"); !slices.Equal(got, changed) {
		t.Errorf("bob's password changed over plain LDAP: pwdChangedTime %v, was %v", got, changed)
	}
}

// TestADPlainBindRefused: Samba refuses a simple bind without TLS (result 8);
// the technician hears why.
func TestADPlainBindRefused(t *testing.T) {
	s := ldaptest.AD(t)
	plain := newDir(t, s, func(c *ldap.Config) { c.URL, c.DevMode = s.PlainURL, true })
	_, err := plain.Lookup(ctxT(t), "alice")
	ie := wantKind(t, err, identity.KindForbidden, identity.ErrInsecure)
	if !strings.Contains(ie.Safe, "encrypted") {
		t.Errorf("safe = %q", ie.Safe)
	}
	// StartTLS on the same port works.
	tls := newDir(t, s, func(c *ldap.Config) { c.URL, c.StartTLS = s.PlainURL, true })
	if _, err := tls.Lookup(ctxT(t), "alice"); err != nil {
		t.Errorf("StartTLS: %v", err)
	}
}
