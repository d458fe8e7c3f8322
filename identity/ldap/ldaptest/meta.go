package ldaptest

import (
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// Attribute IDs as they appear in replPropertyMetaData (prefix-table form
// of 1.2.840.113556.1.4.N, the same on every DC), for MetaVersion.
const (
	AttUnicodePwd  uint32 = 0x0009005a // unicodePwd, 1.2.840.113556.1.4.90
	AttPwdLastSet  uint32 = 0x00090060 // pwdLastSet, 1.2.840.113556.1.4.96
	AttLockoutTime uint32 = 0x00090296 // lockoutTime, 1.2.840.113556.1.4.662
)

// MetaVersion returns the replication version of one attribute of dn, read
// as administrator from replPropertyMetaData: it goes up by exactly one on
// every write of that attribute, so a test can count writes (a password
// written twice, an unlock that did not happen). 0 means the attribute has
// never been written. It decodes the value itself, independently of the
// package under test, so the two check each other.
func (s *Server) MetaVersion(t testing.TB, dn string, attid uint32) int {
	t.Helper()
	if s.Kind != "ad" {
		t.Fatalf("MetaVersion needs the AD lab")
	}
	res, err := s.Admin(t).Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		1, 0, false, "(objectClass=*)", []string{"replPropertyMetaData"}, nil))
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("read replPropertyMetaData of %s: %v", dn, err)
	}
	v, err := metaVersion(res.Entries[0].GetRawAttributeValue("replPropertyMetaData"), attid)
	if err != nil {
		t.Fatalf("%s: %v", dn, err)
	}
	return v
}
