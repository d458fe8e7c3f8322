package ldaptest

import (
	"encoding/binary"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/go-ldap/ldap/v3"
)

// DN returns the DN of the account with logon name (sAMAccountName / uid),
// read as administrator anywhere below BaseDN.
func (s *Server) DN(t testing.TB, name string) string {
	t.Helper()
	attr := "sAMAccountName"
	if s.Kind == "ldap" {
		attr = "uid"
	}
	res, err := s.Admin(t).Search(ldap.NewSearchRequest(s.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		2, 0, false, "("+attr+"="+ldap.EscapeFilter(name)+")", []string{"1.1"}, nil))
	if err != nil {
		t.Fatalf("find %s: %v", name, err)
	}
	if len(res.Entries) != 1 {
		t.Fatalf("find %s: %d entries (a missing fixture? re-provision the lab with --fresh)", name, len(res.Entries))
	}
	return res.Entries[0].DN
}

// Attr reads one attribute of dn as administrator.
func (s *Server) Attr(t testing.TB, dn, attr string) []string {
	t.Helper()
	res, err := s.Admin(t).Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		1, 0, false, "(objectClass=*)", []string{attr}, nil))
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("read %s of %s: %v", attr, dn, err)
	}
	return res.Entries[0].GetAttributeValues(attr)
}

// Locked asks the directory (as administrator) whether dn is locked now.
func (s *Server) Locked(t testing.TB, dn string) bool {
	t.Helper()
	if s.Kind == "ldap" {
		return len(s.Attr(t, dn, "pwdAccountLockedTime")) > 0
	}
	v := s.Attr(t, dn, "msDS-User-Account-Control-Computed")
	bits, _ := strconv.Atoi(first(v))
	return bits&0x10 != 0
}

// Lock locks dn for real: simple binds with a wrong password over LDAPS
// until the directory's lockout threshold is reached.
func (s *Server) Lock(t testing.TB, dn string) {
	t.Helper()
	for range max(s.LockoutThreshold, 3) {
		if err := s.Bind(dn, "wrong-"+strconv.FormatInt(time.Now().UnixNano(), 36)); err == nil {
			t.Fatalf("bind with a wrong password succeeded for %s", dn)
		}
	}
	if !s.Locked(t, dn) {
		t.Fatalf("%s is not locked after %d bad binds", dn, s.LockoutThreshold)
	}
}

// Restore puts dn back as the fixtures made it, as administrator: the lab
// user password, unlocked, no must-change flag, bad-password count zero
// (cleared by a successful bind, which also proves the restore).
func (s *Server) Restore(t testing.TB, dn string) {
	t.Helper()
	s.RestoreTo(t, dn, s.UserPassword)
}

// RestoreTo is Restore with another password, for a fixture user whose
// password policy refuses the common one (pso1: PSOUserPassword).
func (s *Server) RestoreTo(t testing.TB, dn, password string) {
	t.Helper()
	admin := s.Admin(t)
	if s.Kind == "ldap" {
		if _, err := admin.PasswordModify(ldap.NewPasswordModifyRequest(dn, "", password)); err != nil {
			t.Fatalf("restore %s: password: %v", dn, err)
		}
		for _, attr := range []string{"pwdAccountLockedTime", "pwdReset"} {
			req := ldap.NewModifyRequest(dn, nil)
			req.Delete(attr, nil)
			if err := admin.Modify(req); err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchAttribute) {
				t.Fatalf("restore %s: delete %s: %v", dn, attr, err)
			}
		}
	} else {
		req := ldap.NewModifyRequest(dn, nil)
		req.Replace("unicodePwd", []string{string(UnicodePwd(password))})
		req.Replace("pwdLastSet", []string{"-1"})
		req.Replace("lockoutTime", []string{"0"})
		if err := admin.Modify(req); err != nil {
			t.Fatalf("restore %s: %v", dn, err)
		}
	}
	if err := s.Bind(dn, password); err != nil {
		t.Fatalf("restore %s: the restored password does not bind: %v", dn, err)
	}
}

// UnicodePwd is AD's encoding of a password, written independently of the
// package under test so the two check each other.
func UnicodePwd(pw string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune("\"" + pw + "\"")) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// ScratchPrefix starts the names of the accounts other packages' tests
// create (and lock) in the shared lab for a moment, while this package's
// tests may be running: tests that list accounts leave those out.
const ScratchPrefix = "e2e"

// IsScratch reports whether username is another test's scratch account.
func IsScratch(username string) bool {
	return strings.HasPrefix(strings.ToLower(username), ScratchPrefix)
}
