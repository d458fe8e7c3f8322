package ldap_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// adTime reads an AD FILETIME attribute of dn as administrator; written
// here rather than taken from the package so the two check each other.
func adTime(t *testing.T, s *ldaptest.Server, dn, attr string) time.Time {
	t.Helper()
	v := s.Attr(t, dn, attr)
	if len(v) == 0 {
		return time.Time{}
	}
	ft, err := strconv.ParseInt(v[0], 10, 64)
	if err != nil || ft <= 0 || ft == 1<<63-1 {
		return time.Time{}
	}
	ft -= 11644473600 * 10_000_000 // 1601 → 1970
	return time.Unix(0, 0).Add(time.Duration(ft) * 100).UTC()
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// TestADLookupFacts: the lockout facts and the password stamp, read by the
// bot through Lookup, equal what the administrator reads; a lockout leaves
// the stamp alone, a password write changes it, Search stays lean.
func TestADLookupFacts(t *testing.T) {
	s := ldaptest.AD(t)
	ctx := ctxT(t)
	dn := s.DN(t, "alice")
	s.Restore(t, dn)
	t.Cleanup(func() { s.Restore(t, dn) })
	d := newDir(t, s)

	a, err := d.Lookup(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	wantStamp := "v" + strconv.Itoa(s.MetaVersion(t, dn, ldaptest.AttUnicodePwd)) + "@"
	if !strings.HasPrefix(a.PasswordStamp, wantStamp) {
		t.Errorf("PasswordStamp = %q, want the unicodePwd version %s...", a.PasswordStamp, wantStamp)
	}
	if want := adTime(t, s, dn, "msDS-UserPasswordExpiryTimeComputed"); a.PasswordExpires.IsZero() || !a.PasswordExpires.Equal(want) {
		t.Errorf("PasswordExpires = %v, want %v", a.PasswordExpires, want)
	}
	// Restore proved the password with a bind, so there is a last logon.
	if want := later(adTime(t, s, dn, "lastLogonTimestamp"), adTime(t, s, dn, "lastLogon")); a.LastLogon.IsZero() || !a.LastLogon.Equal(want) {
		t.Errorf("LastLogon = %v, want %v", a.LastLogon, want)
	}

	again, err := d.Lookup(ctx, dn)
	if err != nil || again.PasswordStamp != a.PasswordStamp {
		t.Errorf("a second Lookup changed the stamp: %q → %q (%v)", a.PasswordStamp, again.PasswordStamp, err)
	}

	s.Lock(t, dn)
	locked, err := d.Lookup(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !locked.Lock.Locked || locked.Lock.BadCount < s.LockoutThreshold || locked.Lock.LastBadAt.IsZero() ||
		!locked.Lock.LastBadAt.Equal(adTime(t, s, dn, "badPasswordTime")) {
		t.Errorf("after a real lockout: %+v (badPasswordTime %v)", locked.Lock, adTime(t, s, dn, "badPasswordTime"))
	}
	if locked.PasswordStamp != a.PasswordStamp {
		t.Errorf("bad binds changed the password stamp: %q → %q", a.PasswordStamp, locked.PasswordStamp)
	}

	pw := newPassword()
	if err := d.SetPassword(ctx, locked, identity.PasswordChange{Password: identity.NewSecret(pw), Unlock: true}); err != nil {
		t.Fatal(err)
	}
	reset, err := d.Lookup(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if reset.PasswordStamp == a.PasswordStamp || !strings.HasPrefix(reset.PasswordStamp,
		"v"+strconv.Itoa(s.MetaVersion(t, dn, ldaptest.AttUnicodePwd))+"@") {
		t.Errorf("after SetPassword the stamp is %q (before %q)", reset.PasswordStamp, a.PasswordStamp)
	}

	// The type-ahead does not pay for these attributes.
	found, err := d.Search(ctx, "alice", 5)
	if err != nil || len(found) != 1 {
		t.Fatalf("Search: %v, %v", labels(found), err)
	}
	if f := found[0]; f.PasswordStamp != "" || !f.LastLogon.IsZero() || !f.PasswordExpires.IsZero() || !f.Lock.LastBadAt.IsZero() {
		t.Errorf("Search carries Lookup-only facts: %+v", f)
	}
}

// TestADLookupFactsPSO: pso1's expiry follows its fine-grained policy (10
// days), not the domain's, as the bot reads it.
func TestADLookupFactsPSO(t *testing.T) {
	s := ldaptest.AD(t)
	a, err := newDir(t, s).Lookup(ctxT(t), "pso1")
	if err != nil {
		t.Fatal(err)
	}
	if got := a.PasswordExpires.Sub(a.PasswordLastSet); got != 10*24*time.Hour {
		t.Errorf("pso1 expires %v after its password was set (%v → %v), want 10 days", got, a.PasswordLastSet, a.PasswordExpires)
	}
}

// gtime parses slapd's GeneralizedTime, independently of the package.
func gtime(t *testing.T, v string) time.Time {
	t.Helper()
	for _, layout := range []string{"20060102150405Z", "20060102150405.000000Z"} {
		if at, err := time.Parse(layout, v); err == nil {
			return at
		}
	}
	t.Fatalf("not a GeneralizedTime: %q", v)
	return time.Time{}
}

// addPolicy creates a ppolicy entry as administrator and removes it at cleanup.
func addPolicy(t *testing.T, s *ldaptest.Server, cn string, attrs map[string][]string) string {
	t.Helper()
	dn := "cn=" + cn + ",ou=policies," + s.BaseDN
	all := map[string][]string{"objectClass": {"applicationProcess", "pwdPolicy"}, "cn": {cn}, "pwdAttribute": {"userPassword"}}
	for k, v := range attrs {
		all[k] = v
	}
	_ = s.Admin(t).Del(goldap.NewDelRequest(dn, nil)) // left over by an interrupted run
	if err := s.Admin(t).Add(addRequest(dn, all)); err != nil {
		t.Fatalf("add policy %s: %v", dn, err)
	}
	t.Cleanup(func() { _ = s.Admin(t).Del(goldap.NewDelRequest(dn, nil)) })
	return dn
}

// setSubentry points dn at a password policy (empty: back to the default).
func setSubentry(t *testing.T, s *ldaptest.Server, dn, policy string) {
	t.Helper()
	m := goldap.NewModifyRequest(dn, nil)
	if policy == "" {
		m.Delete("pwdPolicySubentry", nil)
	} else {
		m.Replace("pwdPolicySubentry", []string{policy})
	}
	if err := s.Admin(t).Modify(m); err != nil && !goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchAttribute) {
		t.Fatalf("pwdPolicySubentry of %s: %v", dn, err)
	}
}

// TestSlapdLookupFacts: the ppolicy facts as the bot reads them through
// Lookup equal what the administrator reads.
func TestSlapdLookupFacts(t *testing.T) {
	s := ldaptest.Slapd(t)
	ctx := ctxT(t)
	dn := s.DN(t, "alice")
	s.Restore(t, dn) // a Password Modify (pwdChangedTime) and a bind (pwdLastSuccess)
	t.Cleanup(func() { s.Restore(t, dn) })
	d := newDir(t, s)

	a, err := d.Lookup(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	changed := s.Attr(t, dn, "pwdChangedTime")
	if len(changed) != 1 || a.PasswordStamp != changed[0] {
		t.Errorf("PasswordStamp = %q, pwdChangedTime %v", a.PasswordStamp, changed)
	}
	success := s.Attr(t, dn, "pwdLastSuccess")
	if len(success) != 1 || !a.LastLogon.Equal(gtime(t, success[0])) {
		t.Errorf("LastLogon = %v, pwdLastSuccess %v (is olcLastBind on? re-provision with .ci/slapd.sh --fresh)", a.LastLogon, success)
	}
	if !a.PasswordExpires.IsZero() {
		t.Errorf("the default lab policy has no pwdMaxAge, yet PasswordExpires = %v", a.PasswordExpires)
	}

	s.Lock(t, dn)
	locked, err := d.Lookup(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	failures := s.Attr(t, dn, "pwdFailureTime")
	newest := time.Time{}
	for _, f := range failures {
		newest = later(newest, gtime(t, f))
	}
	if !locked.Lock.Locked || len(failures) < s.LockoutThreshold || !locked.Lock.LastBadAt.Equal(newest) {
		t.Errorf("after a real lockout: %+v, pwdFailureTime %v", locked.Lock, failures)
	}
	if locked.PasswordStamp != a.PasswordStamp {
		t.Errorf("bad binds changed the stamp: %q → %q", a.PasswordStamp, locked.PasswordStamp)
	}

	// A policy of its own (pwdPolicySubentry) with a maximum age: expiry =
	// pwdChangedTime + pwdMaxAge.
	tenDays := addPolicy(t, s, "ten-days", map[string][]string{"pwdMaxAge": {"864000"}})
	setSubentry(t, s, dn, tenDays)
	t.Cleanup(func() { setSubentry(t, s, dn, "") })
	own, err := d.Lookup(ctx, "alice")
	if want := gtime(t, changed[0]).Add(10 * 24 * time.Hour); err != nil || !own.PasswordExpires.Equal(want) {
		t.Errorf("with pwdPolicySubentry: PasswordExpires = %v, want %v (%v)", own.PasswordExpires, want, err)
	}

	// No subentry: the default policy named in the configuration applies.
	setSubentry(t, s, dn, "")
	fiveDays := addPolicy(t, s, "five-days", map[string][]string{"pwdMaxAge": {"432000"}})
	withDefault := newDir(t, s, func(c *ldap.Config) { c.DefaultPolicyDN = fiveDays })
	def, err := withDefault.Lookup(ctx, "alice")
	if want := gtime(t, changed[0]).Add(5 * 24 * time.Hour); err != nil || !def.PasswordExpires.Equal(want) {
		t.Errorf("with default_policy_dn: PasswordExpires = %v, want %v (%v)", def.PasswordExpires, want, err)
	}

	pw := newPassword()
	if err := d.SetPassword(ctx, locked, identity.PasswordChange{Password: identity.NewSecret(pw), Unlock: true}); err != nil {
		t.Fatal(err)
	}
	// pwdChangedTime has whole seconds, so the stamp may equal the one
	// before when Restore ran in the same second; it is what slapd wrote.
	after, err := d.Lookup(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Attr(t, dn, "pwdChangedTime"); len(got) != 1 || after.PasswordStamp != got[0] {
		t.Errorf("after SetPassword: stamp %q, pwdChangedTime %v", after.PasswordStamp, got)
	}
}
