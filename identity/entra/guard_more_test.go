package entra_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/entra"
	"github.com/unlockbot/unlockbot/identity/entra/entratest"
)

// A name no account can have is refused before anything goes to Graph.
func TestLookupRefusesNamesNoAccountHas(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	for name, typed := range map[string]string{
		"empty":   "  ",
		"control": "alice\x00@contoso.com",
		"newline": "alice\u2028",
		"long":    strings.Repeat("a", 300) + "@contoso.com",
		"binary":  "al\xffice",
	} {
		t.Run(name, func(t *testing.T) {
			before := len(s.Requests)
			_, err := d.Lookup(context.Background(), typed)
			if identity.KindOf(err) != identity.KindInvalid {
				t.Fatalf("Lookup(%q) = %v, want a refusal of the name", typed, err)
			}
			if len(s.Requests) != before {
				t.Fatalf("the name went to Graph: %v", s.Requests[before:])
			}
		})
	}
}

func TestScopedRoleIsNamedSo(t *testing.T) {
	s := tenant(t)
	s.AddActiveRole(entratest.Role{Principal: aliceID, Name: "User Administrator", Scope: "/administrativeUnits/0b1c"})
	s.AddActiveRole(entratest.Role{Principal: bobID, Name: "Helpdesk Administrator", Scope: "/"})
	d, _ := dir(t, s)
	if got := lookup(t, d, "alice@contoso.com").ProtectedGroups; !slices.Equal(got, []string{"User Administrator (scoped)"}) {
		t.Fatalf("scoped role: %q", got)
	}
	if got := lookup(t, d, "bob@contoso.com").ProtectedGroups; !slices.Equal(got, []string{"Helpdesk Administrator"}) {
		t.Fatalf("tenant-wide role: %q", got)
	}
}

func TestNoDenyGroupsNoMembershipCall(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s, func(c *entra.Config) { c.DenyGroups = nil })
	if a := lookup(t, d, "bob@contoso.com"); len(a.DenyGroups) != 0 || a.GuardUnavailable {
		t.Fatalf("no deny groups configured: %+v", a)
	}
	if n := s.Calls("POST /users/{id}/checkMemberGroups"); n != 0 {
		t.Fatalf("%d membership checks with no deny group configured", n)
	}
}
