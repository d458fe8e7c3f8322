package ldap

import (
	"encoding/base64"
	"encoding/binary"
	"os"
	"strings"
	"testing"
	"time"
)

// replBlob encodes entries the way a DC stores replPropertyMetaData.
func replBlob(entries ...replMeta) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 1)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(entries)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint32(b, e.attID)
		b = binary.LittleEndian.AppendUint32(b, e.version)
		b = binary.LittleEndian.AppendUint64(b, uint64(e.changed.Unix()+secondsTo1970))
		b = append(b, make([]byte, 16)...) // originating DSA
		b = binary.LittleEndian.AppendUint64(b, e.origUSN)
		b = binary.LittleEndian.AppendUint64(b, e.origUSN+7) // local USN
	}
	return b
}

func TestParseReplMeta(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 3, 22, 0, time.UTC)
	in := []replMeta{
		{attID: 0x0, version: 1, changed: at.Add(-time.Hour), origUSN: 3943},
		{attID: attUnicodePwd, version: 23, changed: at, origUSN: 4037},
		{attID: attLockoutTime, version: 19, changed: at, origUSN: 4036},
	}
	got, err := parseReplMeta(replBlob(in...))
	if err != nil || len(got) != len(in) {
		t.Fatalf("parse: %v, %d entries", err, len(got))
	}
	for i := range in {
		if got[i] != in[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], in[i])
		}
	}
	if s := passwordStamp(replBlob(in...)); s != "v23@2026-12-01T09:03:22Z" {
		t.Errorf("stamp = %q", s)
	}
	// Another write: another stamp, even in the same second.
	in[1].version++
	if s := passwordStamp(replBlob(in...)); s != "v24@2026-12-01T09:03:22Z" {
		t.Errorf("stamp after a write = %q", s)
	}
	if s := passwordStamp(replBlob(in[0])); s != "v0" {
		t.Errorf("no unicodePwd entry: stamp = %q, want v0 (never written)", s)
	}
	if s := passwordStamp(nil); s != "" {
		t.Errorf("no metadata: stamp = %q, want empty (unknown)", s)
	}
}

// TestParseReplMetaSamba decodes a value Samba 4.17 returned to the bot for
// alice in the lab (29 entries).
func TestParseReplMetaSamba(t *testing.T) {
	text, err := os.ReadFile("testdata/replmeta-alice.b64")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(text)), ""))
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseReplMeta(raw)
	if err != nil || len(got) != 29 {
		t.Fatalf("parse: %v, %d entries", err, len(got))
	}
	want := map[uint32]uint32{attUnicodePwd: 23, attPwdLastSet: 23, attLockoutTime: 19}
	for _, m := range got {
		if v, ok := want[m.attID]; ok {
			if m.version != v {
				t.Errorf("attid %#x: version %d, want %d", m.attID, m.version, v)
			}
			delete(want, m.attID)
		}
	}
	if len(want) != 0 {
		t.Errorf("entries missing: %v", want)
	}
	if s := passwordStamp(raw); s != "v23@2026-12-01T09:03:22Z" {
		t.Errorf("stamp = %q", s)
	}
}

func TestParseReplMetaRejects(t *testing.T) {
	good := replBlob(replMeta{attID: attUnicodePwd, version: 2}, replMeta{attID: attPwdLastSet, version: 2})
	huge := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(huge[8:], 0xffffffff) // claims 4 billion entries
	v2 := append([]byte(nil), good...)
	v2[0] = 2
	for name, b := range map[string][]byte{
		"empty":         nil,
		"short header":  good[:15],
		"truncated":     good[:len(good)-1],
		"one entry cut": good[:replMetaHeaderLen+replMetaEntryLen+10],
		"huge count":    huge,
		"version 2":     v2,
		"garbage":       []byte(strings.Repeat("\xff", 200)),
	} {
		if _, err := parseReplMeta(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if s := passwordStamp(b); s != "" {
			t.Errorf("%s: stamp %q from a bad value", name, s)
		}
	}
	// Trailing bytes beyond the entries the header announces are ignored.
	if got, err := parseReplMeta(append(good, 0, 0, 0)); err != nil || len(got) != 2 {
		t.Errorf("trailing bytes: %v, %d", err, len(got))
	}
}

// FuzzParseReplMeta: whatever a server (or a man in the middle of a
// misconfigured lab) sends, the parser returns instead of panicking, and
// never reports more entries than the bytes can hold.
func FuzzParseReplMeta(f *testing.F) {
	f.Add(replBlob(replMeta{attID: attUnicodePwd, version: 5, changed: time.Unix(1e9, 0)}))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseReplMeta(b)
		if err == nil && replMetaHeaderLen+len(got)*replMetaEntryLen > len(b) {
			t.Fatalf("%d entries from %d bytes", len(got), len(b))
		}
		_ = passwordStamp(b)
	})
}
