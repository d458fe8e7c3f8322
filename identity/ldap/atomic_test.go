package ldap_test

import (
	"slices"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// metaVersions reads the replication versions of the three attributes a
// reset writes.
func metaVersions(t *testing.T, s *ldaptest.Server, dn string) [3]int {
	t.Helper()
	return [3]int{s.MetaVersion(t, dn, ldaptest.AttUnicodePwd), s.MetaVersion(t, dn, ldaptest.AttLockoutTime),
		s.MetaVersion(t, dn, ldaptest.AttPwdLastSet)}
}

// TestADResetAndUnlockOneWrite: SetPassword with Unlock on an account
// locked for real unlocks it and sets the password in one modify: each
// attribute's replication version goes up by exactly one.
func TestADResetAndUnlockOneWrite(t *testing.T) {
	s := ldaptest.AD(t)
	ctx := ctxT(t)
	dn := s.DN(t, "bob")
	s.Restore(t, dn)
	t.Cleanup(func() { s.Restore(t, dn) })
	s.Lock(t, dn)
	d := newDir(t, s)
	acct, err := d.Lookup(ctx, "bob")
	if err != nil || !acct.Lock.Locked {
		t.Fatalf("bob before: %+v, %v", acct, err)
	}
	before := metaVersions(t, s, dn)

	pw := newPassword()
	if err := d.SetPassword(ctx, acct, identity.PasswordChange{Password: identity.NewSecret(pw), Unlock: true}); err != nil {
		t.Fatal(err)
	}
	after := metaVersions(t, s, dn)
	for i, name := range []string{"unicodePwd", "lockoutTime", "pwdLastSet"} {
		if after[i] != before[i]+1 {
			t.Errorf("%s version %d → %d, want one write", name, before[i], after[i])
		}
	}
	if s.Locked(t, dn) {
		t.Error("still locked")
	}
	if got := bindCode(s.Bind(dn, pw)); got != "" {
		t.Errorf("bind with the new password: %q", got)
	}
	if got := bindCode(s.Bind(dn, s.UserPassword)); got != "52e" {
		t.Errorf("bind with the old password: %q, want 52e", got)
	}
}

// TestADPSORefusalChangesNothing: pso1's fine-grained policy wants 24
// characters. A 16-character complex password with Unlock is refused with
// the PSO's own reason, and the account is exactly as it was: still locked,
// the same pwdLastSet and lockoutTime, no password write, and the old
// password is still the password (775 locked, not 52e wrong).
func TestADPSORefusalChangesNothing(t *testing.T) {
	s := ldaptest.AD(t)
	ctx := ctxT(t)
	dn := s.DN(t, "pso1")
	s.RestoreTo(t, dn, s.PSOUserPassword)
	t.Cleanup(func() { s.RestoreTo(t, dn, s.PSOUserPassword) })
	if psos := s.Attr(t, dn, "msDS-ResultantPSO"); !slices.ContainsFunc(psos, func(p string) bool { return strings.EqualFold(p, s.PSODN) }) {
		t.Fatalf("setup: pso1's resultant PSO is %v, want %s", psos, s.PSODN)
	}
	s.Lock(t, dn)
	d := newDir(t, s)
	acct, err := d.Lookup(ctx, "pso1")
	if err != nil || !acct.Lock.Locked || acct.GuardUnavailable {
		t.Fatalf("pso1 before: %+v, %v", acct, err)
	}
	state := func() string {
		return strings.Join(slices.Concat(s.Attr(t, dn, "pwdLastSet"), s.Attr(t, dn, "lockoutTime"),
			s.Attr(t, dn, "msDS-User-Account-Control-Computed")), " ")
	}
	before, versions := state(), metaVersions(t, s, dn)

	const pw = "Abcdef-Gh1jk!mn9" // 16 characters, complex: enough for the domain, not for the PSO
	err = d.SetPassword(ctx, acct, identity.PasswordChange{Password: identity.NewSecret(pw), Unlock: true})
	ie := wantKind(t, err, identity.KindInvalid, identity.ErrPolicy)
	if !strings.Contains(ie.Safe, "24 characters") || strings.Contains(ie.Safe, pw) || strings.Contains(err.Error(), pw) {
		t.Errorf("safe = %q; want the PSO's reason (24 characters), never the password", ie.Safe)
	}
	if after := state(); after != before {
		t.Errorf("pwdLastSet, lockoutTime, computed flags: %q → %q", before, after)
	}
	if after := metaVersions(t, s, dn); after != versions {
		t.Errorf("replication versions (unicodePwd, lockoutTime, pwdLastSet) %v → %v: something was written", versions, after)
	}
	if !s.Locked(t, dn) {
		t.Error("pso1 was unlocked although the password was refused")
	}
	if got := bindCode(s.Bind(dn, s.PSOUserPassword)); got != "775" {
		t.Errorf("bind with the old password: %q, want 775 (locked, and still the password)", got)
	}
}

// TestSlapdRefusedPasswordKeepsLock: a password ppolicy refuses (a policy
// of 24 characters with quality checking) stops SetPassword before the
// unlock: the account stays locked with its old password.
func TestSlapdRefusedPasswordKeepsLock(t *testing.T) {
	s := ldaptest.Slapd(t)
	ctx := ctxT(t)
	dn := s.DN(t, "bob")
	strict := addPolicy(t, s, "strict-test", map[string][]string{
		"pwdMinLength": {"24"}, "pwdCheckQuality": {"2"},
		"pwdLockout": {"TRUE"}, "pwdMaxFailure": {"3"}, "pwdLockoutDuration": {"300"}, "pwdFailureCountInterval": {"300"},
	})
	s.Restore(t, dn)
	setSubentry(t, s, dn, strict)
	t.Cleanup(func() { setSubentry(t, s, dn, ""); s.Restore(t, dn) })
	s.Lock(t, dn)
	changed := s.Attr(t, dn, "pwdChangedTime")
	d := newDir(t, s)
	acct, err := d.Lookup(ctx, "bob")
	if err != nil || !acct.Lock.Locked {
		t.Fatalf("bob before: %+v, %v", acct, err)
	}

	pw := newPassword() // 20 characters
	err = d.SetPassword(ctx, acct, identity.PasswordChange{Password: identity.NewSecret(pw), Unlock: true})
	ie := wantKind(t, err, identity.KindInvalid, identity.ErrPolicy)
	if strings.Contains(ie.Safe, pw) || strings.Contains(err.Error(), pw) {
		t.Errorf("the password leaked: %v", err)
	}
	t.Logf("slapd's reason as the technician reads it: %s", ie.Safe)
	if !s.Locked(t, dn) {
		t.Error("bob was unlocked although the password was refused")
	}
	if got := s.Attr(t, dn, "pwdChangedTime"); !slices.Equal(got, changed) {
		t.Errorf("pwdChangedTime %v → %v", changed, got)
	}
	// Unlocked by the administrator, the old password still binds.
	m := goldap.NewModifyRequest(dn, nil)
	m.Delete("pwdAccountLockedTime", nil)
	if err := s.Admin(t).Modify(m); err != nil {
		t.Fatal(err)
	}
	if err := s.Bind(dn, s.UserPassword); err != nil {
		t.Errorf("the old password no longer binds: %v", err)
	}
}

// TestSlapdPasswordModifyUnlocks pins what slapd 2.5's ppolicy does and
// bot/steps_directory.go relies on: a Password Modify by someone other than the user
// clears pwdAccountLockedTime and pwdFailureTime by itself, even without
// Unlock, and even an administrator's permanent lock (000001010000Z).
func TestSlapdPasswordModifyUnlocks(t *testing.T) {
	s := ldaptest.Slapd(t)
	ctx := ctxT(t)
	d := newDir(t, s)
	dn := s.DN(t, "alice")
	s.Restore(t, dn)
	t.Cleanup(func() { s.Restore(t, dn) })
	for _, how := range []string{"bad binds", "administrator"} {
		if how == "bad binds" {
			s.Lock(t, dn)
		} else {
			m := goldap.NewModifyRequest(dn, nil)
			m.Replace("pwdAccountLockedTime", []string{"000001010000Z"})
			if err := s.Admin(t).Modify(m); err != nil {
				t.Fatal(err)
			}
		}
		acct := identity.Account{ID: dn, Username: "alice"} // the guard would refuse the permanent lock; this pins the server
		if err := d.SetPassword(ctx, acct, identity.PasswordChange{Password: identity.NewSecret(newPassword())}); err != nil {
			t.Fatal(err)
		}
		if s.Locked(t, dn) || len(s.Attr(t, dn, "pwdFailureTime")) > 0 {
			t.Errorf("locked by %s: a Password Modify without Unlock left pwdAccountLockedTime %v, pwdFailureTime %v",
				how, s.Attr(t, dn, "pwdAccountLockedTime"), s.Attr(t, dn, "pwdFailureTime"))
		}
	}
}
