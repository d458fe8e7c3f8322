package entra_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/entra"
	"github.com/unlockbot/unlockbot/identity/entra/entratest"
)

func TestSearchTypeAhead(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	got, err := d.Search(context.Background(), "al", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != aliceID || got[0].Username != "alice@contoso.com" || got[0].Lock.Locked {
		t.Fatalf("Search(al) = %+v", got)
	}
	// "rob" matches Bob by mail only.
	if got, _ := d.Search(context.Background(), "rob", 10); len(got) != 1 || got[0].ID != bobID {
		t.Fatalf("Search(rob) = %+v", got)
	}
	if want := "startswith(displayName,'al') or startswith(userPrincipalName,'al') or startswith(mail,'al')"; s.LastQuery("GET /users") != "startswith(displayName,'rob') or startswith(userPrincipalName,'rob') or startswith(mail,'rob')" {
		t.Fatalf("filter sent = %q (shape %q)", s.LastQuery("GET /users"), want)
	}
	// A basic query: no ConsistencyLevel sent where none is needed.
	if s.Unneeded != 0 {
		t.Fatalf("ConsistencyLevel sent on %d basic queries", s.Unneeded)
	}
	// Empty query: Entra shows no locked accounts to list.
	if got, err := d.Search(context.Background(), " ", 10); err != nil || len(got) != 0 || s.Calls("GET /users") != 2 {
		t.Fatalf("empty query: %v %v, %d calls", got, err, s.Calls("GET /users"))
	}
}

func TestSearchInjectionStaysLiteral(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	for _, q := range []string{"alice' or startswith(displayName,'", "a') or (1 eq 1", "'", "x'&$top=999", "al%27 or 1"} {
		got, err := d.Search(context.Background(), q, 10)
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		if len(got) != 0 {
			t.Fatalf("Search(%q) found %+v: the value escaped its literal", q, got)
		}
	}
	// The fake parsed the filter and saw the attempt as one literal.
	want := "startswith(displayName,'alice'' or startswith(displayName,''') or startswith(userPrincipalName,'alice'' or startswith(displayName,''') or startswith(mail,'alice'' or startswith(displayName,''')"
	d.Search(context.Background(), "alice' or startswith(displayName,'", 10)
	if got := s.LastQuery("GET /users"); got != want {
		t.Fatalf("filter = %q\nwant   %q", got, want)
	}
	if _, err := d.Search(context.Background(), "al\nice", 10); identity.KindOf(err) != identity.KindInvalid {
		t.Fatalf("control character: %v", err)
	}
	if entraQuote := entra.Quote("o'brien"); entraQuote != "'o''brien'" {
		t.Fatal(entraQuote)
	}
}

func TestLookupByUPNIDMailNickname(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	for _, name := range []string{"alice@contoso.com", "ALICE@contoso.com", aliceID, "alice"} {
		a := lookup(t, d, name)
		if a.ID != aliceID || a.Username != "alice@contoso.com" || !a.InScope || a.Disabled || a.GuardUnavailable || a.PasswordStamp == "" || a.PasswordLastSet.IsZero() {
			t.Fatalf("Lookup(%q) = %+v", name, a)
		}
	}
	// By mail when no UPN matches.
	if a := lookup(t, d, "robert@contoso.com"); a.ID != bobID {
		t.Fatalf("by mail: %+v", a)
	}
}

func TestLookupNotFoundAmbiguous(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	for _, name := range []string{"nobody@contoso.com", "nobody", goneID} {
		if _, err := d.Lookup(context.Background(), name); !errors.Is(err, identity.ErrNotFound) || identity.KindOf(err) != identity.KindNotFound {
			t.Fatalf("Lookup(%q) = %v", name, err)
		}
	}
	_, err := d.Lookup(context.Background(), "bob")
	if !errors.Is(err, identity.ErrAmbiguous) || identity.KindOf(err) != identity.KindConflict {
		t.Fatalf("ambiguous: %v", err)
	}
	if _, err := d.Lookup(context.Background(), "a'b@x"); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("malformed UPN: %v", err)
	}
}

func TestLookupDisabledSyncedScope(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	if a := lookup(t, d, "dave@contoso.com"); !a.Disabled {
		t.Fatalf("disabled: %+v", a)
	}
	c := lookup(t, d, "carol@contoso.com")
	if !c.Synced || c.OnPremAccount != "carol" || c.OnPremDomain != "corp.contoso.com" {
		t.Fatalf("synced: %+v", c)
	}
	d2, _ := dir(t, s, func(c *entra.Config) { c.Domains = []string{"contoso.com"} })
	if a := lookup(t, d2, "eve@fabrikam.com"); a.InScope {
		t.Fatalf("other domain in scope: %+v", a)
	}
}

func TestGuardRoles(t *testing.T) {
	s := tenant(t)
	s.AddActiveRole(entratest.Role{Principal: aliceID, Name: "Global Administrator"})
	s.AddEligibleRole(entratest.Role{Principal: bobID, Name: "User Administrator"})
	s.AddGroup(entratest.Group{ID: roleGrp, DisplayName: "Helpdesk Admins", RoleAssignable: true, Members: []string{eveID}})
	s.AddEligibleRole(entratest.Role{Principal: roleGrp, Name: "Helpdesk Administrator"})
	d, _ := dir(t, s)
	cases := map[string][]string{
		"alice@contoso.com": {"Global Administrator"},
		"bob@contoso.com":   {"User Administrator (eligible)"},
		"eve@fabrikam.com":  {"Helpdesk Administrator (eligible) via group Helpdesk Admins"},
		"dave@contoso.com":  nil,
	}
	for name, want := range cases {
		a := lookup(t, d, name)
		if !slices.Equal(a.ProtectedGroups, want) || a.GuardUnavailable {
			t.Fatalf("%s: ProtectedGroups = %q (unavailable %v), want %q", name, a.ProtectedGroups, a.GuardUnavailable, want)
		}
	}
	// The role-group read is the one advanced query: it carried ConsistencyLevel (the fake refuses it otherwise).
	if s.Calls("GET /users/{id}/memberOf/microsoft.graph.group") == 0 {
		t.Fatal("role-assignable groups not read")
	}
}

func TestGuardNoPIMAndFailures(t *testing.T) {
	s := tenant(t)
	s.SetNoPIM(true)
	d, _ := dir(t, s)
	if a := lookup(t, d, "alice@contoso.com"); a.GuardUnavailable {
		t.Fatal("a tenant without P2 has no eligible roles; the guard must still hold")
	}
	// Any other failure: unknown means no.
	s.SetNoPIM(false)
	s.Fail("GET /roleManagement/directory/roleEligibilityScheduleInstances", 1, http.StatusBadRequest, "BadRequest", "something else", 0)
	if a := lookup(t, d, "alice@contoso.com"); !a.GuardUnavailable {
		t.Fatal("eligibility failure not reported as GuardUnavailable")
	}
	s.SetPermission("RoleManagement.Read.Directory", false)
	if a := lookup(t, d, "alice@contoso.com"); !a.GuardUnavailable {
		t.Fatal("role read forbidden not reported as GuardUnavailable")
	}
	s.SetPermission("RoleManagement.Read.Directory", true)
	s.SetPermission("GroupMember.Read.All", false)
	if a := lookup(t, d, "bob@contoso.com"); !a.GuardUnavailable {
		t.Fatal("deny-group read forbidden not reported as GuardUnavailable")
	}
}

func TestGuardDenyGroupTransitive(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	b := lookup(t, d, "bob@contoso.com") // Finance ⊂ VIPs
	if want := []string{"VIPs (" + denyID + ")"}; !slices.Equal(b.DenyGroups, want) {
		t.Fatalf("DenyGroups = %q, want %q", b.DenyGroups, want)
	}
	if a := lookup(t, d, "alice@contoso.com"); len(a.DenyGroups) != 0 {
		t.Fatalf("alice DenyGroups = %q", a.DenyGroups)
	}
	lookup(t, d, "bob@contoso.com")
	if n := s.Calls("GET /groups/{id}"); n != 1 {
		t.Fatalf("deny-group name read %d times, want once (cached)", n)
	}
}

func TestSignInActivityOptional(t *testing.T) {
	s := tenant(t)
	when := time.Date(2026, 2, 27, 8, 0, 0, 0, time.UTC)
	s.AddUser(entratest.User{ID: aliceID, UPN: "alice@contoso.com", MailNickname: "alice", DisplayName: "Alice Smith", Enabled: true, LastSignIn: when})
	d, _ := dir(t, s)
	if a := lookup(t, d, "alice"); !a.LastLogon.Equal(when) {
		t.Fatalf("LastLogon = %v", a.LastLogon)
	}
	s.SetPremium(false)
	d2, _ := dir(t, s)
	a := lookup(t, d2, "alice")
	if !a.LastLogon.IsZero() || a.GuardUnavailable {
		t.Fatalf("without premium: %+v", a)
	}
	before := s.Calls("GET /users/{id}")
	lookup(t, d2, "alice")
	if s.Calls("GET /users/{id}") != before {
		t.Fatal("sign-in activity asked again right after Graph refused it")
	}
}
