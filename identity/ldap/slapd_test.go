package ldap_test

import (
	"slices"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// TestSlapdResetFlow: the same flow against OpenLDAP with ppolicy: a real
// lockout by bad binds, unlock by deleting pwdAccountLockedTime, reset by
// the Password Modify extended operation, must-change by pwdReset.
func TestSlapdResetFlow(t *testing.T) {
	s := ldaptest.Slapd(t)
	dn := s.DN(t, "alice")
	for _, temporary := range []bool{true, false} {
		t.Run(map[bool]string{true: "temporary", false: "permanent"}[temporary], func(t *testing.T) {
			ctx := ctxT(t)
			s.Restore(t, dn)
			t.Cleanup(func() { s.Restore(t, dn) })
			s.Lock(t, dn)
			d := newDir(t, s)

			acct, err := d.Lookup(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			if acct.ID != dn || !acct.Lock.Locked || acct.Lock.BadCount < s.LockoutThreshold || acct.IntentionalLock ||
				acct.GuardUnavailable || !acct.InScope || acct.DisplayName != "Alice Smith" {
				t.Fatalf("Lookup before unlock: %+v", acct)
			}
			pw := newPassword()
			if err := d.Unlock(ctx, acct); err != nil {
				t.Fatal(err)
			}
			if err := d.Unlock(ctx, acct); err != nil { // idempotent: nothing left to delete
				t.Fatalf("second unlock: %v", err)
			}
			if err := d.SetPassword(ctx, acct, identity.PasswordChange{Password: identity.NewSecret(pw), Temporary: temporary}); err != nil {
				t.Fatal(err)
			}
			v, err := d.Verify(ctx, acct, identity.NewSecret(pw), temporary)
			if err != nil {
				t.Fatal(err)
			}
			want := identity.Verification{Unlocked: true, MustChange: temporary, PasswordWorks: true, BadCountCleared: true}
			if v != want {
				t.Fatalf("Verify = %+v, want %+v", v, want)
			}
			if err := s.Bind(dn, pw); err != nil {
				t.Errorf("bind with the new password: %v", err)
			}
			if got := bindCode(s.Bind(dn, s.UserPassword)); got != "49" {
				t.Errorf("bind with the old password: %q, want 49", got)
			}
			if got := s.Attr(t, dn, "pwdReset"); (len(got) == 1 && got[0] == "TRUE") != temporary {
				t.Errorf("pwdReset = %v, temporary %v", got, temporary)
			}
			// A wrong password does not prove anything.
			v, err = d.Verify(ctx, acct, identity.NewSecret("Wrong-"+pw), temporary)
			if err != nil || v.PasswordWorks {
				t.Errorf("Verify with a wrong password: %+v, %v", v, err)
			}
		})
	}
}

func TestSlapdGuardFacts(t *testing.T) {
	s := ldaptest.Slapd(t)
	ctx := ctxT(t)
	admin := s.Admin(t)

	// A group nesting the fixture deny group: membership must be found through it.
	outer := "cn=outer-deny,ou=groups," + s.BaseDN
	add := goldap.NewAddRequest(outer, nil)
	add.Attribute("objectClass", []string{"groupOfNames"})
	add.Attribute("cn", []string{"outer-deny"})
	add.Attribute("member", []string{s.DenyGroupDN})
	if err := admin.Add(add); err != nil && !goldap.IsErrorWithCode(err, goldap.LDAPResultEntryAlreadyExists) {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Admin(t).Del(goldap.NewDelRequest(outer, nil)) })

	d := newDir(t, s, func(c *ldap.Config) { c.DenyGroups = []string{outer} })
	carol, err := d.Lookup(ctx, "carol")
	if err != nil || !slices.Equal(carol.DenyGroups, []string{outer}) || carol.GuardUnavailable {
		t.Errorf("carol (in tier0, nested in outer-deny): %+v, %v", carol, err)
	}
	intent, err := d.Lookup(ctx, "intent1")
	if err != nil || !intent.IntentionalLock || len(intent.DenyGroups) > 0 {
		t.Errorf("intent1: %+v, %v", intent, err)
	}
	alice, err := d.Lookup(ctx, "alice")
	if err != nil || alice.IntentionalLock || len(alice.DenyGroups) > 0 || len(alice.ProtectedGroups) > 0 {
		t.Errorf("alice: %+v, %v", alice, err)
	}
	for _, name := range []string{"outsider", s.DN(t, "outsider"), "unlockbot", s.BotDN} {
		_, err = d.Lookup(ctx, name)
		wantKind(t, err, identity.KindNotFound, identity.ErrNotFound)
	}

	// An administrator's permanent lock (ppolicy 000001010000Z) is an
	// intentional lock: reported so the flow leaves it alone.
	bob := s.DN(t, "bob")
	t.Cleanup(func() { s.Restore(t, bob) })
	mod := goldap.NewModifyRequest(bob, nil)
	mod.Replace("pwdAccountLockedTime", []string{"000001010000Z"})
	if err := admin.Modify(mod); err != nil {
		t.Fatal(err)
	}
	b, err := d.Lookup(ctx, "bob")
	if err != nil || !b.Lock.Locked || !b.IntentionalLock {
		t.Errorf("bob locked by an administrator: %+v, %v", b, err)
	}
}

func TestSlapdSearchAndCheck(t *testing.T) {
	s := ldaptest.Slapd(t)
	ctx := ctxT(t)
	d := newDir(t, s)
	bob := s.DN(t, "bob")
	t.Cleanup(func() { s.Restore(t, bob) })
	s.Lock(t, bob)

	got, err := d.Search(ctx, "", 10)
	if err != nil || len(got) != 1 || got[0].ID != bob {
		t.Errorf("locked accounts: %v, %v", labels(got), err)
	}
	got, err = d.Search(ctx, "", 0)
	if err != nil || len(got) != 1 {
		t.Errorf("locked accounts, default limit: %v, %v", labels(got), err)
	}
	for q, want := range map[string]int{"a": 1, "Alice": 1, "alice@example.org": 1, "b": 1, "i": 1, "x": 0, "outsider": 0} {
		got, err := d.Search(ctx, q, 10)
		if err != nil || len(got) != want {
			t.Errorf("Search(%q) = %v, %v; want %d", q, labels(got), err, want)
		}
	}

	// A second uid=bob in a sub-OU: the name now designates two accounts.
	admin := s.Admin(t)
	dupOU := "ou=dup," + s.UsersDN
	for _, add := range []*goldap.AddRequest{
		addRequest(dupOU, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"dup"}}),
		addRequest("uid=bob,"+dupOU, map[string][]string{"objectClass": {"inetOrgPerson"}, "uid": {"bob"}, "cn": {"Bob Two"}, "sn": {"Two"}}),
	} {
		if err := admin.Add(add); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		a := s.Admin(t)
		_ = a.Del(goldap.NewDelRequest("uid=bob,"+dupOU, nil))
		_ = a.Del(goldap.NewDelRequest(dupOU, nil))
	})
	_, err = d.Lookup(ctx, "bob")
	wantKind(t, err, identity.KindConflict, identity.ErrAmbiguous)

	// No deny groups: a warning (generic LDAP has no built-in privileged
	// groups), not a problem.
	r, err := d.Check(ctx)
	if err != nil || !r.OK() || !r.BaseDNFound || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "deny_groups") {
		t.Errorf("check without deny groups: %+v, %v", r, err)
	}
	if len(r.Warnings) > 0 && !slices.Contains(r.Lines(), "warning: "+r.Warnings[0]) {
		t.Errorf("the warning is not in the printed report: %q", r.Lines())
	}
	withDeny, err := newDir(t, s, func(c *ldap.Config) { c.DenyGroups = []string{s.DenyGroupDN} }).Check(ctx)
	if err != nil || !withDeny.OK() || len(withDeny.Warnings) > 0 {
		t.Errorf("check with deny groups: %+v, %v", withDeny, err)
	}
	r = withDeny
	for _, rc := range r.Rights {
		if rc.State != ldap.RightUnknown {
			t.Errorf("generic LDAP cannot know %s: %+v", rc.Name, rc)
		}
	}
}

func addRequest(dn string, attrs map[string][]string) *goldap.AddRequest {
	r := goldap.NewAddRequest(dn, nil)
	for k, v := range attrs {
		r.Attribute(k, v)
	}
	return r
}
