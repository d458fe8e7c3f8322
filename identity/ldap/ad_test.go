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

// TestADResetFlow locks alice for real (bad binds over LDAPS), then does what
// the reset service does, as the delegated bot: Lookup, Unlock, SetPassword,
// Verify, and checks the result with independent binds.
func TestADResetFlow(t *testing.T) {
	s := ldaptest.AD(t)
	dn := s.DN(t, "alice")
	for _, temporary := range []bool{true, false} {
		name := map[bool]string{true: "temporary", false: "permanent"}[temporary]
		t.Run(name, func(t *testing.T) {
			ctx := ctxT(t)
			s.Restore(t, dn)
			t.Cleanup(func() { s.Restore(t, dn) })
			s.Lock(t, dn)
			d := newDir(t, s)

			acct, err := d.Lookup(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			if acct.ID != dn || !acct.Lock.Locked || acct.Lock.BadCount < s.LockoutThreshold || acct.Lock.LockedAt.IsZero() {
				t.Fatalf("Lookup before unlock: %+v", acct)
			}
			if acct.Disabled || acct.AdminCount || len(acct.ProtectedGroups) > 0 || acct.GuardUnavailable || !acct.InScope {
				t.Fatalf("alice's guard facts are wrong: %+v", acct)
			}
			if acct.Username != "alice" || acct.UPN != "alice@example.test" || acct.DisplayName != "Alice Smith" {
				t.Errorf("names: %+v", acct)
			}

			pw := newPassword()
			if err := d.Unlock(ctx, acct); err != nil {
				t.Fatal(err)
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
			if got := s.Attr(t, dn, "badPwdCount"); len(got) != 1 || got[0] != "0" {
				t.Errorf("badPwdCount = %v, want 0", got)
			}

			// Independent proof, bypassing the package under test.
			wantNew := map[bool]string{true: "773", false: ""}[temporary]
			if got := bindCode(s.Bind(dn, pw)); got != wantNew {
				t.Errorf("bind with the new password: %q, want %q", got, wantNew)
			}
			if got := bindCode(s.Bind(dn, s.UserPassword)); got != "52e" {
				t.Errorf("bind with the old password: %q, want 52e", got)
			}
			again, err := d.Lookup(ctx, dn)
			if err != nil {
				t.Fatal(err)
			}
			if again.Lock.Locked || again.PasswordLastSet.IsZero() != temporary {
				t.Errorf("Lookup after reset: %+v", again)
			}
		})
	}
}

func TestADLookupNames(t *testing.T) {
	s := ldaptest.AD(t)
	d := newDir(t, s)
	ctx := ctxT(t)
	dn := s.DN(t, "bob")
	for _, name := range []string{"bob", "BOB", "bob@example.test", dn, strings.ToLower(dn), " bob "} {
		a, err := d.Lookup(ctx, name)
		if err != nil || a.ID != dn {
			t.Errorf("Lookup(%q) = %q, %v", name, a.ID, err)
		}
	}
	for _, name := range []string{"nobody", "CN=Nobody,OU=Staff,DC=example,DC=test", "CN=Domain Admins,CN=Users,DC=example,DC=test"} {
		_, err := d.Lookup(ctx, name)
		wantKind(t, err, identity.KindNotFound, identity.ErrNotFound)
	}
}

func TestADSearchLockedFirst(t *testing.T) {
	s := ldaptest.AD(t)
	ctx := ctxT(t)
	d := newDir(t, s)
	alice := s.DN(t, "alice")
	t.Cleanup(func() { s.Restore(t, alice) })
	s.Lock(t, alice)

	got, err := d.Search(ctx, "", 10)
	got = fixturesOnly(got) // other packages' tests lock scratch accounts meanwhile
	if err != nil || len(got) != 1 || got[0].ID != alice || !got[0].Lock.Locked {
		t.Fatalf("an empty query must list exactly the locked accounts, got %v, %v", labels(got), err)
	}
	// "a" matches acount and alice: by name acount would come first, but
	// alice is locked.
	got, err = d.Search(ctx, "a", 10)
	if err != nil || len(got) != 2 || got[0].ID != alice || got[1].Username != "acount" {
		t.Fatalf("Search(a) = %v, %v", labels(got), err)
	}
	// With limit 1 the first page is truncated; the locked search still finds alice.
	got, err = d.Search(ctx, "a", 1)
	if err != nil || len(got) != 1 || got[0].ID != alice {
		t.Errorf("Search(a, 1) = %v, %v", labels(got), err)
	}
	for _, q := range []string{"A", "ali", "Alice", "alice@", "alice@example.test", "Alice S"} {
		got, err := d.Search(ctx, q, 10)
		if err != nil || !slices.ContainsFunc(got, func(a identity.Account) bool { return a.ID == alice }) {
			t.Errorf("Search(%q) = %v, %v", q, labels(got), err)
		}
	}
	got, err = d.Search(ctx, "d", 10) // dadmin, disabled1: by name, disabled reported
	if err != nil || len(got) != 2 || got[0].Username != "dadmin" || got[1].Username != "disabled1" || !got[1].Disabled {
		t.Errorf("Search(d) = %v, %v", labels(got), err)
	}
	got, err = d.Search(ctx, "svc", 10) // the bot lives outside the base DN
	if err != nil || len(got) != 0 {
		t.Errorf("Search(svc) = %v, %v", labels(got), err)
	}
}

// fixturesOnly leaves out the scratch accounts other packages' tests
// create and lock in the same lab while this package runs.
func fixturesOnly(as []identity.Account) []identity.Account {
	out := as[:0:0]
	for _, a := range as {
		if !ldaptest.IsScratch(a.Username) {
			out = append(out, a)
		}
	}
	return out
}

func labels(as []identity.Account) []string {
	var out []string
	for _, a := range as {
		l := a.Label()
		if a.Lock.Locked {
			l += " [locked]"
		}
		out = append(out, l)
	}
	return out
}

// TestADGuardFacts checks every fact the privileged-account guard relies on,
// read as the bot from the real directory.
func TestADGuardFacts(t *testing.T) {
	s := ldaptest.AD(t)
	ctx := ctxT(t)
	d := newDir(t, s, func(c *ldap.Config) { c.DenyGroups = []string{s.DenyGroupDN} })
	for _, c := range []struct {
		name      string
		protected []string // must include
		deny      bool
		admin     bool
		disabled  bool
		intent    bool
		unknown   bool // GuardUnavailable
	}{
		{name: "alice"},
		{name: "dadmin", protected: []string{"Domain Admins", "Administrators"}},
		{name: "nadmin", protected: []string{"Domain Admins", "Administrators"}, deny: true}, // nested via IT Tier0
		{name: "acount", admin: true},
		{name: "disabled1", disabled: true},
		{name: "intent1", intent: true},
		{name: "cryptop", protected: []string{"Cryptographic Operators"}},
		// adminCount=1 that a deny-read ACE hides from the bot: absent to
		// it, and Samba matches (!(adminCount=*)) too, so only the DACL
		// tells that it is hidden rather than unset.
		{name: "hiddenac", unknown: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := d.Lookup(ctx, c.name)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range c.protected {
				if !slices.Contains(a.ProtectedGroups, p) {
					t.Errorf("ProtectedGroups = %v, want %s", a.ProtectedGroups, p)
				}
			}
			if len(c.protected) == 0 && len(a.ProtectedGroups) > 0 {
				t.Errorf("ProtectedGroups = %v, want none", a.ProtectedGroups)
			}
			if (len(a.DenyGroups) > 0) != c.deny || a.AdminCount != c.admin || a.Disabled != c.disabled ||
				a.IntentionalLock != c.intent || a.GuardUnavailable != c.unknown || !a.InScope {
				t.Errorf("facts: %+v", a)
			}
		})
	}
	t.Run("built-in accounts by their own RID", func(t *testing.T) {
		root := newDir(t, s, func(c *ldap.Config) { c.BaseDN = s.BaseDN })
		for name, want := range map[string]string{"Administrator": "the built-in Administrator", "krbtgt": "krbtgt"} {
			a, err := root.Lookup(ctx, name)
			if err != nil || !slices.Contains(a.ProtectedGroups, want) {
				t.Errorf("%s: ProtectedGroups = %v, %v; want %q", name, a.ProtectedGroups, err, want)
			}
		}
	})
	t.Run("unlock never enables", func(t *testing.T) {
		a, err := d.Lookup(ctx, "disabled1")
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Unlock(ctx, a); err != nil {
			t.Fatal(err)
		}
		if a, err = d.Lookup(ctx, "disabled1"); err != nil || !a.Disabled {
			t.Errorf("disabled1 after Unlock: %+v, %v", a, err)
		}
	})
	t.Run("outsider", func(t *testing.T) {
		_, err := d.Lookup(ctx, "outsider")
		wantKind(t, err, identity.KindNotFound, identity.ErrNotFound)
		_, err = d.Lookup(ctx, s.DN(t, "outsider"))
		wantKind(t, err, identity.KindNotFound, identity.ErrNotFound)
		// Seen from the domain root it exists, but no write is sent outside the base.
		wide := newDir(t, s, func(c *ldap.Config) { c.BaseDN = s.BaseDN })
		a, err := wide.Lookup(ctx, "outsider")
		if err != nil || !a.InScope {
			t.Fatalf("outsider from the root: %+v, %v", a, err)
		}
		err = d.Unlock(ctx, a)
		wantKind(t, err, identity.KindForbidden, nil)
	})
	t.Run("missing deny group fails closed", func(t *testing.T) {
		bad := newDir(t, s, func(c *ldap.Config) { c.DenyGroups = []string{"CN=No Such Group," + s.UsersDN} })
		a, err := bad.Lookup(ctx, "alice")
		if err != nil || !a.GuardUnavailable {
			t.Errorf("a deny group that cannot be resolved must make the guard unavailable: %+v, %v", a, err)
		}
	})
}

// TestADPrimaryGroup: membership through primaryGroupID has no memberOf
// entry; tokenGroups still shows it.
func TestADPrimaryGroup(t *testing.T) {
	s := ldaptest.AD(t)
	ctx := ctxT(t)
	dn := s.DN(t, "dadmin")
	setPrimary(t, s, dn, "512")
	t.Cleanup(func() { setPrimary(t, s, dn, "513") })
	if memberOf := s.Attr(t, dn, "memberOf"); slices.ContainsFunc(memberOf, func(g string) bool { return strings.HasPrefix(g, "CN=Domain Admins,") }) {
		t.Fatalf("setup: Domain Admins still in memberOf: %v", memberOf)
	}
	a, err := newDir(t, s).Lookup(ctx, "dadmin")
	if err != nil || !slices.Contains(a.ProtectedGroups, "Domain Admins") {
		t.Fatalf("primary group Domain Admins not reported: %+v, %v", a, err)
	}
}

func setPrimary(t *testing.T, s *ldaptest.Server, dn, rid string) {
	t.Helper()
	admin := s.Admin(t)
	req := goldap.NewModifyRequest(dn, nil)
	req.Replace("primaryGroupID", []string{rid})
	if err := admin.Modify(req); err != nil {
		t.Fatalf("primaryGroupID=%s: %v", rid, err)
	}
}
