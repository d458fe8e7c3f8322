package ldap_test

import (
	"fmt"
	"slices"
	"sync"
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
// the walk reads cannot be proven outside the deny groups: unknown, not
// "not protected". The walk's own cap is 1,000 groups; in this lab slapd's
// size limit for the bot (olcSizeLimit 500) cuts the step first, which
// pagedSearch reports as the same truncation, so 501 groups suffice (each
// write costs slapd an fsync).
func TestSlapdGuardTooManyGroups(t *testing.T) {
	s := ldaptest.Slapd(t)
	ctx := ctxT(t)
	carol := s.DN(t, "carol")
	const n = 501
	name := func(i int) string { return fmt.Sprintf("many-%04d", i) }
	t.Cleanup(func() {
		parallel(t, s, n, func(c *goldap.Conn, i int) error {
			return c.Del(goldap.NewDelRequest("cn="+name(i)+",ou=groups,"+s.BaseDN, nil))
		})
	})
	parallel(t, s, n, func(c *goldap.Conn, i int) error {
		err := c.Add(addRequest("cn="+name(i)+",ou=groups,"+s.BaseDN,
			map[string][]string{"objectClass": {"groupOfNames"}, "cn": {name(i)}, "member": {carol}}))
		if goldap.IsErrorWithCode(err, goldap.LDAPResultEntryAlreadyExists) {
			return nil
		}
		return err
	})
	d := newDir(t, s, func(c *ldap.Config) { c.DenyGroups = []string{"cn=not-among-them,ou=groups," + s.BaseDN} })
	a, err := d.Lookup(ctx, "carol")
	if err != nil || !a.GuardUnavailable {
		t.Errorf("carol in %d groups: %+v, %v", n, a, err)
	}
	if b, err := d.Lookup(ctx, "bob"); err != nil || b.GuardUnavailable {
		t.Errorf("bob: %+v, %v", b, err)
	}
}

// parallel runs op(i) for i in [0, n) on 8 administrator connections.
func parallel(t *testing.T, s *ldaptest.Server, n int, op func(c *goldap.Conn, i int) error) {
	t.Helper()
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		c := s.Admin(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if err := op(c, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("administrator write: %v", err)
	}
}
