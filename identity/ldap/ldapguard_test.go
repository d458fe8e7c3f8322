package ldap_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// addGroup creates a groupOfNames as administrator and deletes it at cleanup.
func addGroup(t *testing.T, s *ldaptest.Server, admin *goldap.Conn, cn, member string) string {
	t.Helper()
	dn := "cn=" + cn + ",ou=groups," + s.BaseDN
	_ = admin.Del(goldap.NewDelRequest(dn, nil)) // left over by an interrupted run
	if err := admin.Add(addRequest(dn, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {cn}, "member": {member}})); err != nil {
		t.Fatalf("add %s: %v", dn, err)
	}
	t.Cleanup(func() { _ = admin.Del(goldap.NewDelRequest(dn, nil)) })
	return dn
}

// TestSlapdGuardDeepNesting: the walk up the groups reads eight levels. A
// deny group eight levels above the account is found; a ninth level cannot
// be ruled out, so the guard reports that it does not know.
func TestSlapdGuardDeepNesting(t *testing.T) {
	s := ldaptest.Slapd(t)
	ctx := ctxT(t)
	admin := s.Admin(t)
	chain := []string{s.DN(t, "alice")}
	for i := 1; i <= 8; i++ {
		chain = append(chain, addGroup(t, s, admin, fmt.Sprintf("nest-%d", i), chain[len(chain)-1]))
	}
	deny := func(g string) *ldap.Directory {
		return newDir(t, s, func(c *ldap.Config) { c.DenyGroups = []string{g} })
	}

	a, err := deny(chain[8]).Lookup(ctx, "alice")
	if err != nil || !slices.Equal(a.DenyGroups, []string{chain[8]}) || a.GuardUnavailable {
		t.Errorf("deny group 8 levels up: %+v, %v", a, err)
	}

	chain = append(chain, addGroup(t, s, admin, "nest-9", chain[8]))
	a, err = deny(chain[9]).Lookup(ctx, "alice")
	if err != nil || !a.GuardUnavailable {
		t.Errorf("deny group 9 levels up passed as not protected: %+v, %v", a, err)
	}
	// The levels it did read still count.
	a, err = deny(chain[3]).Lookup(ctx, "alice")
	if err != nil || !a.GuardUnavailable || !slices.Equal(a.DenyGroups, []string{chain[3]}) {
		t.Errorf("deny group 3 levels up in a 9-level chain: %+v, %v", a, err)
	}
	// Accounts outside the chain are not affected.
	b, err := deny(chain[9]).Lookup(ctx, "bob")
	if err != nil || b.GuardUnavailable || len(b.DenyGroups) > 0 {
		t.Errorf("bob: %+v, %v", b, err)
	}
}

// TestSlapdGuardTooManyGroups: an account in more groups than one step of
// the walk reads (1,000; slapd's own size limit for the bot is 500) cannot
// be proven outside the deny groups: unknown, not "not protected".
func TestSlapdGuardTooManyGroups(t *testing.T) {
	s := ldaptest.Slapd(t)
	ctx := ctxT(t)
	admin := s.Admin(t)
	carol := s.DN(t, "carol")
	const n = 1001
	t.Cleanup(func() {
		c := s.Admin(t)
		for i := range n {
			_ = c.Del(goldap.NewDelRequest(fmt.Sprintf("cn=many-%04d,ou=groups,%s", i, s.BaseDN), nil))
		}
	})
	for i := range n {
		dn := fmt.Sprintf("cn=many-%04d,ou=groups,%s", i, s.BaseDN)
		err := admin.Add(addRequest(dn, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {strings.TrimPrefix(strings.Split(dn, ",")[0], "cn=")}, "member": {carol}}))
		if err != nil && !goldap.IsErrorWithCode(err, goldap.LDAPResultEntryAlreadyExists) {
			t.Fatalf("add %s: %v", dn, err)
		}
	}
	d := newDir(t, s, func(c *ldap.Config) { c.DenyGroups = []string{"cn=not-among-them,ou=groups," + s.BaseDN} })
	a, err := d.Lookup(ctx, "carol")
	if err != nil || !a.GuardUnavailable {
		t.Errorf("carol in %d groups: %+v, %v", n, a, err)
	}
	if b, err := d.Lookup(ctx, "bob"); err != nil || b.GuardUnavailable {
		t.Errorf("bob: %+v, %v", b, err)
	}
}
