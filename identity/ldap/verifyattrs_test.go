package ldap_test

import (
	"testing"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// The attributes an org verifies callers against are read by Lookup (the
// first value of a multi-valued one), and by nothing else: the type-ahead
// never carries them.
func TestADLookupReadsVerifyAttributes(t *testing.T) {
	s := ldaptest.AD(t)
	ctx := ctxT(t)
	bob := s.DN(t, "bob")
	admin := s.Admin(t)
	set := goldap.NewModifyRequest(bob, nil)
	set.Replace("mobile", []string{"+1 555 010 9876"})
	set.Replace("employeeID", []string{"E-4711"})
	set.Replace("otherMailbox", []string{"bob.home@example.test", "bob.second@example.test"})
	if err := admin.Modify(set); err != nil {
		t.Fatalf("set attributes: %v", err)
	}
	t.Cleanup(func() {
		clear := goldap.NewModifyRequest(bob, nil)
		for _, a := range []string{"mobile", "employeeID", "otherMailbox"} {
			clear.Delete(a, nil)
		}
		_ = s.Admin(t).Modify(clear)
	})
	d := newDir(t, s, func(c *ldap.Config) { c.VerifyAttributes = []string{"mobile", "employeeID", "otherMailbox", "pager"} })
	a, err := d.Lookup(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"mobile": "+1 555 010 9876", "employeeID": "E-4711", "otherMailbox": "bob.home@example.test"}
	if len(a.Attributes) != len(want) {
		t.Fatalf("attributes %v, want %v", a.Attributes, want)
	}
	for k, v := range want {
		if a.Attributes[k] != v {
			t.Errorf("%s = %q, want %q", k, a.Attributes[k], v)
		}
	}
	got, err := d.Search(ctx, "bob", 5)
	if err != nil || len(got) == 0 || got[0].Attributes != nil {
		t.Fatalf("search carried attributes: %v, %v", got, err)
	}
	plain := newDir(t, s)
	if a, err := plain.Lookup(ctx, "bob"); err != nil || a.Attributes != nil {
		t.Fatalf("attributes read without being configured: %v, %v", a.Attributes, err)
	}
}

func TestVerifyAttributesValidated(t *testing.T) {
	base := ldap.Config{Kind: ldap.KindAD, URL: "ldaps://dc.example.test", BindDN: "bot@example.test", BindPassword: identity.NewSecret("x"), BaseDN: "DC=example,DC=test"}
	for _, bad := range []string{"", "mobile)(cn=*", "1abc", "mail;binary"} {
		c := base
		c.VerifyAttributes = []string{bad}
		if err := c.Validate(); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	base.VerifyAttributes = []string{"otherMailbox", "extensionAttribute1"}
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
}
