package ldaptest

import (
	"strconv"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// AttUserAccountControl is userAccountControl (1.2.840.113556.1.4.8) in
// replPropertyMetaData, for MetaVersion: an intentional lock writes it.
const AttUserAccountControl uint32 = 0x00090008

// IsMember reports, as administrator, whether dn is a direct member of group.
func (s *Server) IsMember(t testing.TB, group, dn string) bool {
	t.Helper()
	res, err := s.Admin(t).Search(ldap.NewSearchRequest(group, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		1, 0, false, "(member="+ldap.EscapeFilter(dn)+")", []string{"1.1"}, nil))
	if err != nil {
		t.Fatalf("membership of %s in %s: %v", dn, group, err)
	}
	return len(res.Entries) == 1
}

// SetMember adds dn to group, or removes it, as administrator; a member
// already there (or already gone) is left as it is.
func (s *Server) SetMember(t testing.TB, group, dn string, member bool) {
	t.Helper()
	if s.IsMember(t, group, dn) == member {
		return
	}
	req := ldap.NewModifyRequest(group, nil)
	if member {
		req.Add("member", []string{dn})
	} else {
		req.Delete("member", []string{dn})
	}
	if err := s.Admin(t).Modify(req); err != nil {
		t.Fatalf("set membership of %s in %s: %v", dn, group, err)
	}
}

// Disabled reports whether dn cannot sign in by an administrator's act:
// AD ACCOUNTDISABLE, ppolicy's permanent lock.
func (s *Server) Disabled(t testing.TB, dn string) bool {
	t.Helper()
	if s.Kind == "ldap" {
		return first(s.Attr(t, dn, "pwdAccountLockedTime")) == "000001010000Z"
	}
	uac, _ := strconv.Atoi(first(s.Attr(t, dn, "userAccountControl")))
	return uac&2 != 0
}

// SetDisabled sets or clears that, as administrator.
func (s *Server) SetDisabled(t testing.TB, dn string, disabled bool) {
	t.Helper()
	if s.Disabled(t, dn) == disabled {
		return
	}
	req := ldap.NewModifyRequest(dn, nil)
	switch {
	case s.Kind == "ldap" && disabled:
		req.Replace("pwdAccountLockedTime", []string{"000001010000Z"})
	case s.Kind == "ldap":
		req.Delete("pwdAccountLockedTime", nil)
	default:
		uac, _ := strconv.Atoi(first(s.Attr(t, dn, "userAccountControl")))
		req.Replace("userAccountControl", []string{strconv.Itoa(uac ^ 2)})
	}
	if err := s.Admin(t).Modify(req); err != nil {
		t.Fatalf("set disabled=%v on %s: %v", disabled, dn, err)
	}
}
