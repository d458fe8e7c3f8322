package ldap_test

import (
	"testing"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// TestLookupByMail: against Samba AD and slapd, the one account whose mail
// is the address is found with its guard facts (case ignored, as both
// servers match mail); an address two accounts share is ambiguous, one
// nobody has is not found, and a filter metacharacter in the address is
// literal, never a wildcard.
func TestLookupByMail(t *testing.T) {
	for _, kind := range []string{"ad", "ldap"} {
		t.Run(kind, func(t *testing.T) {
			s := ldaptest.AD
			if kind == "ldap" {
				s = ldaptest.Slapd
			}
			lab := s(t)
			d := newDir(t, lab)
			ctx := ctxT(t)
			_, dns := scratchOU(t, lab, 3)
			setMail := func(dn, addr string) {
				m := goldap.NewModifyRequest(dn, nil)
				m.Replace("mail", []string{addr})
				if err := lab.Admin(t).Modify(m); err != nil {
					t.Fatalf("set mail of %s: %v", dn, err)
				}
			}
			setMail(dns[0], "Own.Person@mail.example.test")
			setMail(dns[1], "shared@mail.example.test")
			setMail(dns[2], "shared@mail.example.test")

			a, err := d.LookupByMail(ctx, "own.person@MAIL.example.test")
			if err != nil || a.ID != dns[0] || !a.InScope || a.GuardUnavailable {
				t.Fatalf("LookupByMail = %q (in scope %v, guard unavailable %v), %v; want %s", a.ID, a.InScope, a.GuardUnavailable, err, dns[0])
			}
			if _, err := d.Lookup(ctx, "Own.Person@mail.example.test"); err == nil {
				t.Fatal("Lookup found the account by mail: the mapping would not need LookupByMail")
			}
			_, err = d.LookupByMail(ctx, "shared@mail.example.test")
			wantKind(t, err, identity.KindConflict, identity.ErrAmbiguous)
			for _, addr := range []string{"nobody@mail.example.test", "*", "own*@mail.example.test", "*)(mail=*"} {
				_, err := d.LookupByMail(ctx, addr)
				wantKind(t, err, identity.KindNotFound, identity.ErrNotFound)
			}
		})
	}
}
