package ldap_test

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// guidBinary is a GUID as AD stores it (first three fields little-endian),
// written here independently of the package.
func guidBinary(t *testing.T, guid string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(guid, "-", ""))
	if err != nil || len(b) != 16 {
		t.Fatalf("bad GUID %q", guid)
	}
	return append([]byte{b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]}, b[8:]...)
}

// denyRead puts an ACE first in dn's DACL, as administrator, that denies
// trustee (a binary SID) reading the property, property set or class
// guid; the DACL is put back at cleanup.
func denyRead(t *testing.T, s *ldaptest.Server, dn, guid string, trustee []byte) {
	t.Helper()
	dacl := []goldap.Control{&goldap.ControlMicrosoftSDFlags{Criticality: true, ControlValue: 4}}
	res, err := s.Admin(t).Search(goldap.NewSearchRequest(dn, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"nTSecurityDescriptor"}, dacl))
	if err != nil || len(res.Entries) != 1 {
		t.Fatalf("read the DACL of %s: %v", dn, err)
	}
	orig := res.Entries[0].GetRawAttributeValue("nTSecurityDescriptor")
	off := int(binary.LittleEndian.Uint32(orig[16:20]))
	if len(orig) < 20 || off < 20 || off+8 > len(orig) {
		t.Fatalf("unexpected descriptor of %s (%d bytes, DACL at %d)", dn, len(orig), off)
	}
	body := binary.LittleEndian.AppendUint32(nil, 0x10) // READ_PROPERTY
	body = binary.LittleEndian.AppendUint32(body, 1)    // ObjectType present
	body = append(append(body, guidBinary(t, guid)...), trustee...)
	ace := append([]byte{0x06, 0, 0, 0}, body...) // ACCESS_DENIED_OBJECT
	binary.LittleEndian.PutUint16(ace[2:], uint16(len(ace)))

	sd := append(append(append([]byte(nil), orig[:off+8]...), ace...), orig[off+8:]...)
	binary.LittleEndian.PutUint16(sd[off+2:], binary.LittleEndian.Uint16(orig[off+2:])+uint16(len(ace)))
	binary.LittleEndian.PutUint16(sd[off+4:], binary.LittleEndian.Uint16(orig[off+4:])+1)
	write := func(v []byte) error {
		m := goldap.NewModifyRequest(dn, dacl)
		m.Replace("nTSecurityDescriptor", []string{string(v)})
		return s.Admin(t).Modify(m)
	}
	if err := write(sd); err != nil {
		t.Fatalf("add a deny ACE to %s: %v", dn, err)
	}
	t.Cleanup(func() {
		if err := write(orig); err != nil {
			t.Errorf("restore the DACL of %s: %v", dn, err)
		}
	})
}

// TestADHiddenAdminCountACEs: deny ACEs the bot's read of adminCount can
// or cannot depend on, placed with the directory's schema. A deny on
// another attribute, or on a property set adminCount is not in, leaves the
// account known; a deny on a GUID the directory cannot place, or on
// adminCount, makes it unknown.
func TestADHiddenAdminCountACEs(t *testing.T) {
	s := ldaptest.AD(t)
	ctx := ctxT(t)
	bob := s.DN(t, "bob")
	botSID := []byte(s.Attr(t, s.BotDN, "objectSid")[0])
	for _, c := range []struct {
		name, guid string
		unknown    bool
	}{
		{"info (another attribute)", "bf96793e-0de6-11d0-a285-00aa003049e2", false},
		{"Personal Information (a property set without adminCount)", "77b5b886-944a-11d1-aebd-0000f80367c1", false},
		{"a GUID the directory does not know", "0badc0de-1234-4321-8888-00aa003049e2", true},
		{"adminCount", "bf967918-0de6-11d0-a285-00aa003049e2", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			denyRead(t, s, bob, c.guid, botSID)
			a, err := newDir(t, s).Lookup(ctx, "bob")
			if err != nil || a.GuardUnavailable != c.unknown || a.AdminCount {
				t.Errorf("bob with a deny on %s: GuardUnavailable %v (want %v), AdminCount %v, %v",
					c.name, a.GuardUnavailable, c.unknown, a.AdminCount, err)
			}
		})
	}
	if a, err := newDir(t, s).Lookup(ctx, "bob"); err != nil || a.GuardUnavailable {
		t.Errorf("bob with his DACL restored: %+v, %v", a, err)
	}
}
