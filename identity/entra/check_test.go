package entra_test

import (
	"context"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity/entra"
)

func results(rs []entra.CheckResult) map[string]entra.CheckResult {
	m := map[string]entra.CheckResult{}
	for _, r := range rs {
		m[r.Name] = r
	}
	return m
}

func TestCheckAllGood(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	for _, r := range d.Check(context.Background()) {
		if !r.OK || r.Warning {
			t.Fatalf("%s: %+v", r.Name, r)
		}
	}
}

func TestCheckNamesEachMissingPermission(t *testing.T) {
	s := tenant(t)
	for _, p := range []string{"User-PasswordProfile.ReadWrite.All", "RoleManagement.Read.Directory", "GroupMember.Read.All"} {
		s.SetPermission(p, false)
	}
	s.SetAppRole("Helpdesk Administrator", false)
	d, _ := dir(t, s, func(c *entra.Config) {
		c.DenyGroups = append(c.DenyGroups, goneID)
	})
	m := results(d.Check(context.Background()))
	if !m["token"].OK || !m["permission User.Read.All"].OK {
		t.Fatalf("%+v", m)
	}
	for _, p := range []string{"User-PasswordProfile.ReadWrite.All", "RoleManagement.Read.Directory", "GroupMember.Read.All"} {
		r := m["permission "+p]
		if r.OK || !strings.Contains(r.Detail, p) || !strings.Contains(r.Detail, "admin consent") {
			t.Fatalf("%s: %+v", p, r)
		}
	}
	// The role read needs RoleManagement.Read.Directory, which is missing: not OK either way.
	if m["directory role"].OK {
		t.Fatalf("directory role: %+v", m["directory role"])
	}
	// Groups are read with GroupMember.Read.All: granted again, each deny group is checked.
	s.SetPermission("GroupMember.Read.All", true)
	m = results(d.Check(context.Background()))
	if r := m["deny group "+goneID]; r.OK || !strings.Contains(r.Detail, "does not exist") {
		t.Fatalf("missing deny group: %+v", r)
	}
	if r := m["deny group "+denyID]; !r.OK || !strings.Contains(r.Detail, "VIPs") {
		t.Fatalf("existing deny group: %+v", r)
	}
}

func TestCheckBroaderAndRole(t *testing.T) {
	s := tenant(t)
	s.SetPermission("User-PasswordProfile.ReadWrite.All", false)
	s.SetPermission("User.ReadWrite.All", true)
	s.SetAppRole("Helpdesk Administrator", false)
	d, _ := dir(t, s)
	m := results(d.Check(context.Background()))
	if r := m["permission User-PasswordProfile.ReadWrite.All"]; !r.OK || !r.Warning {
		t.Fatalf("broader permission: %+v", r)
	}
	if r := m["directory role"]; r.OK || !strings.Contains(r.Detail, "Helpdesk Administrator") {
		t.Fatalf("no role: %+v", r)
	}
	s.SetAppRole("Global Administrator", true)
	if r := results(d.Check(context.Background()))["directory role"]; !r.OK || !r.Warning {
		t.Fatalf("Global Administrator app: %+v", r)
	}
}

func TestCheckBadSecret(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s, func(c *entra.Config) { c.ClientSecret = secret("nope") })
	rs := d.Check(context.Background())
	if len(rs) != 1 || rs[0].OK || !strings.Contains(rs[0].Detail, "AADSTS7000215") {
		t.Fatalf("%+v", rs)
	}
}
