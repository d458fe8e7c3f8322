package entra_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/entra"
	"github.com/unlockbot/unlockbot/identity/entra/entratest"
)

func TestVerifyAttributesConfig(t *testing.T) {
	s := tenant(t)
	cfg := config(s)
	cfg.VerifyAttributes = []string{"employeeId", "mobile"}
	err := cfg.Validate()
	var ce *entra.ConfigError
	if !errors.As(err, &ce) || ce.Key != "verify_attributes" || !strings.Contains(ce.Problem, `"mobile"`) || !strings.Contains(ce.Problem, "mobilePhone") {
		t.Fatalf("an LDAP name Graph does not have: %v", err)
	}
	cfg.VerifyAttributes = []string{"EmployeeID", "otherMails"} // Graph's names are not case-sensitive
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLookupReadsProfileAndManager(t *testing.T) {
	s := tenant(t)
	hired := time.Date(2019, 4, 1, 0, 0, 0, 0, time.UTC)
	s.AddUser(entratest.User{ID: aliceID, UPN: "alice@contoso.com", Mail: "alice@contoso.com", MailNickname: "alice", DisplayName: "Alice Smith",
		Enabled: true, Manager: bobID, Props: map[string]any{"employeeId": "E-1042", "mobilePhone": "+44 20 7946 0018",
			"otherMails": []string{"", "alice.home@example.org", "second@example.org"}, "employeeHireDate": hired, "department": "Finance"}})
	d, _ := dir(t, s, func(c *entra.Config) {
		c.VerifyAttributes = []string{"EMPLOYEEID", "mobilePhone", "otherMails", "employeeHireDate", "businessPhones"}
	})
	a := lookup(t, d, "alice")
	want := map[string]string{"employeeId": "E-1042", "mobilePhone": "+44 20 7946 0018", "otherMails": "alice.home@example.org", "employeeHireDate": "2019-04-01"}
	if len(a.Attributes) != len(want) {
		t.Fatalf("Attributes has %d values, want %d (businessPhones is empty, department not asked for)", len(a.Attributes), len(want))
	}
	for k, v := range want {
		if a.Attributes[k] != v {
			t.Errorf("Attributes[%s] is not the directory's value", k)
		}
	}
	if a.Manager != bobID {
		t.Fatalf("Manager = %q, want Bob's object id", a.Manager)
	}
	// The manager's ID is what the owner notice looks up: it must resolve.
	m := lookup(t, d, a.Manager)
	if m.Mail != "robert@contoso.com" || m.Manager != "" || m.Attributes["employeeId"] != "" {
		t.Fatalf("manager looked up by id: mail %q, manager %q", m.Mail, m.Manager)
	}
	// A manager that no longer exists is no manager.
	s.AddUser(entratest.User{ID: eveID, UPN: "eve@fabrikam.com", MailNickname: "eve", Enabled: true, Manager: goneID})
	if e := lookup(t, d, "eve"); e.Manager != "" {
		t.Fatalf("a deleted manager became %q", e.Manager)
	}
	// Search carries none of it.
	got, err := d.Search(context.Background(), "alice", 5)
	if err != nil || len(got) != 1 || got[0].Attributes != nil || got[0].Manager != "" {
		t.Fatalf("Search = %+v, %v", got, err)
	}
}

func TestLookupWithoutVerifyAttributes(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	if a := lookup(t, d, "alice"); a.Attributes != nil || a.Manager != "" {
		t.Fatalf("Attributes %v, Manager %q", a.Attributes, a.Manager)
	}
}

func TestLookupFailsWhenProfileUnreadable(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s, func(c *entra.Config) { c.VerifyAttributes = []string{"employeeId"} })
	for _, ep := range []string{"GET /users/{id}", "GET /users/{id}/manager"} {
		s.Fail(ep, 1, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", 0)
		if _, err := d.Lookup(context.Background(), "alice"); identity.KindOf(err) != identity.KindForbidden {
			t.Fatalf("Lookup with %s refused: %v", ep, err)
		}
	}
	// Without verification properties the profile is not read at all:
	// the one Get user left is the sign-in activity's.
	for want, d := range map[int]*entra.Directory{1: must(dir(t, s)), 2: d} {
		before := s.Calls("GET /users/{id}")
		lookup(t, d, "alice")
		if n := s.Calls("GET /users/{id}") - before; n != want {
			t.Fatalf("%d Get user calls, want %d", n, want)
		}
	}
}

func TestLookupByMail(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	ctx := context.Background()
	if a, err := d.LookupByMail(ctx, "ROBERT@contoso.com"); err != nil || a.ID != bobID {
		t.Fatalf("by Bob's mail: %+v %v", a, err)
	}
	if s.LastQuery("GET /users") != "mail eq 'ROBERT@contoso.com'" {
		t.Fatalf("filter = %q", s.LastQuery("GET /users"))
	}
	// Bob's UPN is not his mail: that is Lookup's to find.
	if _, err := d.LookupByMail(ctx, "bob@contoso.com"); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("by a UPN that is no mail: %v", err)
	}
	s.AddUser(entratest.User{ID: eveID, UPN: "eve@fabrikam.com", Mail: "robert@contoso.com", MailNickname: "eve", Enabled: true})
	if _, err := d.LookupByMail(ctx, "robert@contoso.com"); !errors.Is(err, identity.ErrAmbiguous) || identity.KindOf(err) != identity.KindConflict {
		t.Fatalf("a shared mail: %v", err)
	}
	if _, err := d.LookupByMail(ctx, "x' or mail eq 'alice@contoso.com"); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("an injected address found someone: %v", err)
	}
	if got := s.LastQuery("GET /users"); got != "mail eq 'x'' or mail eq ''alice@contoso.com'" {
		t.Fatalf("filter = %q: the address left its literal", got)
	}
	if _, err := d.LookupByMail(ctx, "alice"); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("not an address: %v", err)
	}
	var _ identity.MailFinder = d
}

func must(d *entra.Directory, _ *waits) *entra.Directory { return d }
