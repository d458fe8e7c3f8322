package ldap

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"
)

// builtinSID encodes S-1-5-32-<rid>.
func builtinSID(rid uint32) []byte {
	return binary.LittleEndian.AppendUint32([]byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0}, rid)
}

// TestTokenFacts: a DC account's token holds its primary group, Domain
// Controllers (516), with no memberOf entry; tokenGroups shows it.
func TestTokenFacts(t *testing.T) {
	_, protected, ok := tokenFacts([][]byte{sidBytes(516), sidBytes(515)})
	if !ok || !slices.Equal(protected, []string{"Domain Controllers"}) {
		t.Errorf("primary group 516: %v, %v", protected, ok)
	}
	token, protected, ok := tokenFacts([][]byte{sidBytes(513), builtinSID(545), builtinSID(569)})
	if !ok || !slices.Equal(protected, []string{"Cryptographic Operators"}) || !token["S-1-5-32-545"] {
		t.Errorf("Cryptographic Operators: %v, %v, %v", protected, token, ok)
	}
	if _, protected, ok := tokenFacts([][]byte{sidBytes(513), builtinSID(578)}); !ok || !slices.Equal(protected, []string{"Hyper-V Administrators"}) {
		t.Errorf("Hyper-V Administrators: %v, %v", protected, ok)
	}
	if _, _, ok := tokenFacts(nil); ok {
		t.Error("an empty token is not an answer")
	}
	if _, _, ok := tokenFacts([][]byte{sidBytes(513), {1, 5, 0}}); ok {
		t.Error("a token with a malformed SID was accepted")
	}
}

// adminCountBytes is bf967918-0de6-11d0-a285-00aa003049e2 as stored.
var adminCountBytes = []byte{0x18, 0x79, 0x96, 0xbf, 0xe6, 0x0d, 0xd0, 0x11, 0xa2, 0x85, 0x00, 0xaa, 0x00, 0x30, 0x49, 0xe2}

func TestReadsProperty(t *testing.T) {
	const bot = 1103
	unrelated := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16} // a GUID covers says is another attribute
	classGUID := resetGUID                                                     // any GUID covers says may include adminCount
	network := []byte{1, 1, 0, 0, 0, 0, 0, 5, 2, 0, 0, 0}                      // S-1-5-2, never in tokenGroups
	authUsers := []byte{1, 1, 0, 0, 0, 0, 0, 5, 11, 0, 0, 0}
	readAll := plainACE(aceAllowed, rightReadProperty, sidBytes(bot))
	covers := func(guid string) (bool, error) { return guid == guidString(classGUID), nil }
	complete := botIdentity{sid: "S-1-5-21-1-2-3-1103", complete: true,
		token: map[string]bool{"S-1-5-21-1-2-3-1103": true, "S-1-5-21-1-2-3-513": true, "S-1-1-0": true, "S-1-5-11": true}}
	partial := complete
	partial.complete = false
	for _, c := range []struct {
		name string
		bot  botIdentity
		sd   []byte
		want bool
	}{
		{"read all granted", complete, descriptor(readAll), true},
		{"granted to Authenticated Users", complete, descriptor(plainACE(aceAllowed, rightReadProperty, authUsers)), true},
		{"granted on adminCount itself", complete, descriptor(objectACE(aceAllowedObject, 0, rightReadProperty, adminCountBytes, sidBytes(bot))), true},
		{"granted on another attribute only", complete, descriptor(objectACE(aceAllowedObject, 0, rightReadProperty, unrelated, sidBytes(bot))), false},
		{"granted to someone else", complete, descriptor(plainACE(aceAllowed, rightReadProperty, sidBytes(2000))), false},
		{"write only", complete, descriptor(plainACE(aceAllowed, 0x20, sidBytes(bot))), false},
		{"no ACE", complete, descriptor(), false},
		{"adminCount denied first", complete, descriptor(objectACE(aceDeniedObject, 0, rightReadProperty, adminCountBytes, sidBytes(bot)), readAll), false},
		{"all properties denied", complete, descriptor(plainACE(aceDenied, rightReadProperty, sidBytes(bot)), readAll), false},
		{"deny to a SID tokenGroups cannot show", complete, descriptor(plainACE(aceDenied, rightReadProperty, network), readAll), false},
		{"deny to another account", complete, descriptor(plainACE(aceDenied, rightReadProperty, sidBytes(2000)), readAll), true},
		{"deny to another account, token incomplete", partial, descriptor(plainACE(aceDenied, rightReadProperty, sidBytes(2000)), readAll), false},
		{"deny on another attribute", complete, descriptor(objectACE(aceDeniedObject, 0, rightReadProperty, unrelated, sidBytes(bot)), readAll), true},
		{"deny on a GUID that covers it", complete, descriptor(objectACE(aceDeniedObject, 0, rightReadProperty, classGUID, sidBytes(bot)), readAll), false},
		{"inherit-only deny does not apply here", complete, descriptor(objectACE(aceDeniedObject, aceInheritOnly, rightReadProperty, adminCountBytes, sidBytes(bot)), readAll), true},
		{"allow before deny wins", complete, descriptor(readAll, plainACE(aceDenied, rightReadProperty, sidBytes(bot))), true},
	} {
		aces, err := parseDACL(c.sd)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := readsProperty(aces, c.bot, adminCountGUID, covers)
		if err != nil || got != c.want {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	// A GUID that cannot be placed because the directory failed: not readable, and the error is kept.
	aces, _ := parseDACL(descriptor(objectACE(aceDeniedObject, 0, rightReadProperty, unrelated, sidBytes(bot)), readAll))
	boom := errors.New("link down")
	if got, err := readsProperty(aces, complete, adminCountGUID, func(string) (bool, error) { return false, boom }); got || !errors.Is(err, boom) {
		t.Errorf("failing covers: %v, %v", got, err)
	}
}

func TestGUIDFilterValue(t *testing.T) {
	got, ok := guidFilterValue(adminCountGUID)
	want := ""
	for _, b := range adminCountBytes {
		want += `\` + string("0123456789abcdef"[b>>4]) + string("0123456789abcdef"[b&15])
	}
	if !ok || got != want {
		t.Errorf("guidFilterValue = %q, want %q", got, want)
	}
	if guidString(adminCountBytes) != adminCountGUID {
		t.Errorf("guidString = %s", guidString(adminCountBytes))
	}
	for _, bad := range []string{"", "not-a-guid", "bf967918-0de6-11d0-a285-00aa003049"} {
		if _, ok := guidFilterValue(bad); ok {
			t.Errorf("guidFilterValue(%q) accepted", bad)
		}
	}
}
