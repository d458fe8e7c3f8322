package ldaptest

import (
	"encoding/binary"
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
	b := res.Entries[0].GetRawAttributeValue("replPropertyMetaData")
	// 16-byte header (version 1, reserved, count, reserved), then 48-byte
	// entries starting with attid and version.
	if len(b) < 16 || binary.LittleEndian.Uint32(b) != 1 {
		t.Fatalf("replPropertyMetaData of %s: unexpected header (%d bytes)", dn, len(b))
	}
	n := int(binary.LittleEndian.Uint32(b[8:]))
	if n < 0 || n > (len(b)-16)/48 {
		t.Fatalf("replPropertyMetaData of %s: %d entries in %d bytes", dn, n, len(b))
	}
	for i := 0; i < n; i++ {
		e := b[16+48*i:]
		if binary.LittleEndian.Uint32(e) == attid {
			return int(binary.LittleEndian.Uint32(e[4:]))
		}
	}
	return 0
}
