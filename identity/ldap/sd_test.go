package ldap

import (
	"encoding/binary"
	"testing"
)

// sidBytes encodes S-1-5-21-1-2-3-<rid>.
func sidBytes(rid uint32) []byte {
	b := []byte{1, 5, 0, 0, 0, 0, 0, 5}
	for _, sub := range []uint32{21, 1, 2, 3, rid} {
		b = binary.LittleEndian.AppendUint32(b, sub)
	}
	return b
}

// resetGUID is 00299570-246d-11d0-a768-00aa006e0529 (Reset Password).
var resetGUID = []byte{0x70, 0x95, 0x29, 0x00, 0x6d, 0x24, 0xd0, 0x11, 0xa7, 0x68, 0x00, 0xaa, 0x00, 0x6e, 0x05, 0x29}

func objectACE(typ, flags byte, mask uint32, guid []byte, sid []byte) []byte {
	body := binary.LittleEndian.AppendUint32(nil, mask)
	body = binary.LittleEndian.AppendUint32(body, objectTypePresent)
	body = append(body, guid...)
	body = append(body, sid...)
	return append([]byte{typ, flags, byte(4 + len(body)), 0}, body...)
}

func plainACE(typ byte, mask uint32, sid []byte) []byte {
	body := append(binary.LittleEndian.AppendUint32(nil, mask), sid...)
	return append([]byte{typ, 0, byte(4 + len(body)), 0}, body...)
}

func descriptor(aces ...[]byte) []byte {
	var list []byte
	for _, a := range aces {
		list = append(list, a...)
	}
	acl := []byte{4, 0, 0, 0, byte(len(aces)), 0, 0, 0}
	binary.LittleEndian.PutUint16(acl[2:], uint16(8+len(list)))
	sd := []byte{1, 0, 0x04, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0}
	return append(append(sd, acl...), list...)
}

func TestControlAccess(t *testing.T) {
	bot := "S-1-5-21-1-2-3-1103"
	sids := map[string]bool{bot: true, "S-1-5-11": true}
	for _, c := range []struct {
		name string
		sd   []byte
		want string
	}{
		{"granted by object ACE", descriptor(objectACE(aceAllowedObject, 0, rightControlAccess, resetGUID, sidBytes(1103))), "granted"},
		{"other trustee", descriptor(objectACE(aceAllowedObject, 0, rightControlAccess, resetGUID, sidBytes(2000))), ""},
		{"inherit only does not apply here", descriptor(objectACE(aceAllowedObject, aceInheritOnly, rightControlAccess, resetGUID, sidBytes(1103))), ""},
		{"deny first wins", descriptor(objectACE(aceDeniedObject, 0, rightControlAccess, resetGUID, sidBytes(1103)),
			plainACE(aceAllowed, rightGenericAll, sidBytes(1103))), "denied"},
		{"generic all", descriptor(plainACE(aceAllowed, rightGenericAll, sidBytes(1103))), "granted"},
		{"read only", descriptor(plainACE(aceAllowed, 0x00020094, sidBytes(1103))), ""},
	} {
		aces, err := parseDACL(c.sd)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := controlAccess(aces, sids, resetPasswordRight); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	if _, err := parseDACL([]byte{1, 2, 3}); err == nil {
		t.Error("garbage accepted")
	}
	if g := guidString(resetGUID); g != resetPasswordRight {
		t.Errorf("guidString = %s", g)
	}
}
