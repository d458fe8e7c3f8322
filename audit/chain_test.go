package audit

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func testKeys(t testing.TB) *Keyring {
	t.Helper()
	k, err := NewKeyring("k2", map[string][]byte{
		"k1": bytes.Repeat([]byte("1"), 32),
		"k2": bytes.Repeat([]byte("2"), 32),
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// trail seals n events and returns the lines.
func trail(t *testing.T, k *Keyring, n int) [][]byte {
	t.Helper()
	c := NewChain(k, "file:test", Link{})
	var out [][]byte
	for i := 0; i < n; i++ {
		line, err := c.Seal(Event{Time: time.Unix(int64(i), 0).UTC(), Type: "reset.unlocked", RequestID: fmt.Sprintf("r%d", i),
			Outcome: OK, Detail: map[string]string{"n": fmt.Sprint(i)}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, line)
	}
	return out
}

func verify(k *Keyring, lines [][]byte) error {
	return NewVerifier(k).Lines("t", bytes.NewReader(append(bytes.Join(lines, []byte("\n")), '\n')), nil)
}

func brokenAt(t *testing.T, err error, line int, reason string) {
	t.Helper()
	var b *Broken
	if !errors.As(err, &b) {
		t.Fatalf("want a broken record at line %d, got %v", line, err)
	}
	if b.Line != line || !strings.Contains(b.Reason, reason) {
		t.Fatalf("broken at line %d (%s), want line %d with %q", b.Line, b.Reason, line, reason)
	}
}

func TestIntactTrailVerifies(t *testing.T) {
	k := testKeys(t)
	v := NewVerifier(k)
	lines := trail(t, k, 5)
	if err := v.Lines("t", bytes.NewReader(bytes.Join(lines, []byte("\n"))), nil); err != nil {
		t.Fatal(err)
	}
	if v.Records != 5 || v.At().Seq != 5 || v.At().Hash != Hash(lines[4]) {
		t.Fatalf("verified %d records, at %+v", v.Records, v.At())
	}
}

func TestEachTamperingIsFoundAtItsRecord(t *testing.T) {
	k := testKeys(t)
	forger, _ := NewKeyring("k2", map[string][]byte{"k2": bytes.Repeat([]byte("x"), 32)})
	cases := map[string]struct {
		edit   func([][]byte) [][]byte
		line   int
		reason string
	}{
		"edited": {func(l [][]byte) [][]byte {
			l[2] = bytes.Replace(l[2], []byte(`"r2"`), []byte(`"r9"`), 1)
			return l
		}, 3, "MAC does not match"},
		"deleted":       {func(l [][]byte) [][]byte { return append(l[:2], l[3:]...) }, 3, "1 record(s) before it were removed"},
		"first deleted": {func(l [][]byte) [][]byte { return l[1:] }, 1, "does not begin"},
		"reordered": {func(l [][]byte) [][]byte {
			l[1], l[2] = l[2], l[1]
			return l
		}, 2, "removed"},
		"replayed": {func(l [][]byte) [][]byte {
			return append(l[:3], append([][]byte{l[1]}, l[3:]...)...)
		}, 4, "reordered or one was inserted"},
		"forged": {func(l [][]byte) [][]byte {
			fake, _, _ := forger.Seal("file:test", Link{Seq: 2, Hash: Hash(l[1])}, Event{Type: "reset.unlocked"})
			return append(l[:2], append([][]byte{fake}, l[2:]...)...)
		}, 3, "MAC does not match"},
		"unknown key": {func(l [][]byte) [][]byte {
			l[0] = bytes.Replace(l[0], []byte(`"kid":"k2"`), []byte(`"kid":"k7"`), 1)
			return l
		}, 1, `unknown key "k7"`},
		"mac cut": {func(l [][]byte) [][]byte {
			l[4] = l[4][:len(l[4])-10]
			return l
		}, 5, "no MAC"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			brokenAt(t, verify(k, c.edit(trail(t, k, 5))), c.line, c.reason)
		})
	}
}

func TestRotatedKeyStillVerifiesOldRecords(t *testing.T) {
	old, _ := NewKeyring("k1", map[string][]byte{"k1": bytes.Repeat([]byte("1"), 32)})
	a := trail(t, old, 2)
	k := testKeys(t) // now sealing with k2, k1 still known
	c := NewChain(k, "file:test", Link{Seq: 2, Hash: Hash(a[1])})
	b, _ := c.Seal(Event{Type: "request.submitted", Outcome: OK})
	if err := verify(k, append(a, b)); err != nil {
		t.Fatal(err)
	}
	onlyNew, _ := NewKeyring("k2", map[string][]byte{"k2": bytes.Repeat([]byte("2"), 32)})
	brokenAt(t, verify(onlyNew, append(a, b)), 1, "unknown key")
}

func TestContinuedTrailStartsMidChain(t *testing.T) {
	k := testKeys(t)
	lines := trail(t, k, 3)
	c := NewChain(k, "file:test", Link{Seq: 3, Hash: Hash(lines[2])})
	cont, _ := c.Seal(Event{Type: Continued, Outcome: OK})
	next, _ := c.Seal(Event{Type: "reset.unlocked", Outcome: OK})
	v := NewVerifier(k)
	if err := v.Lines("new", bytes.NewReader(bytes.Join([][]byte{cont, next}, []byte("\n"))), nil); err != nil {
		t.Fatal(err)
	}
	if v.Anchor != (Link{Seq: 3, Hash: Hash(lines[2])}) {
		t.Fatalf("anchor %+v, want the old file's last record", v.Anchor)
	}
	// Both files in order: the link itself is checked.
	if err := verify(k, append(lines, cont, next)); err != nil {
		t.Fatal(err)
	}
	brokenAt(t, verify(k, [][]byte{lines[0], lines[1], cont, next}), 3, "removed")
	// A continuation may only open a trail, not hide a gap inside one.
	other := NewChain(k, "file:other", Link{})
	o, _ := other.Seal(Event{Type: "reset.unlocked", Outcome: OK})
	brokenAt(t, verify(k, append(lines, o)), 4, "copied in from another trail")
}

func TestKeyringRefusesWeakOrMissingKeys(t *testing.T) {
	for name, c := range map[string]struct {
		cur  string
		keys map[string][]byte
		want string
	}{
		"none":    {"k", nil, "no HMAC key"},
		"short":   {"k", map[string][]byte{"k": []byte("short")}, "at least 32"},
		"current": {"k9", map[string][]byte{"k": bytes.Repeat([]byte("a"), 32)}, `"k9" is not among`},
		"no id":   {"", map[string][]byte{"": bytes.Repeat([]byte("a"), 32)}, "key id"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewKeyring(c.cur, c.keys)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), "aaaa") {
				t.Fatal("the error shows key material")
			}
		})
	}
}

func TestSealedLineHoldsNoKey(t *testing.T) {
	k := testKeys(t)
	for _, l := range trail(t, k, 3) {
		if bytes.Contains(l, bytes.Repeat([]byte("2"), 32)) {
			t.Fatalf("key material in %s", l)
		}
	}
}

func TestOpenNamesWhatIsWrongWithALine(t *testing.T) {
	k := testKeys(t)
	good := trail(t, k, 1)[0]
	mac := good[len(good)-macSuffix:]
	for name, c := range map[string]struct {
		line []byte
		want string
	}{
		"only a mac":    {mac, "not a sealed record"},
		"no closing":    {good[:len(good)-1], "not a sealed record"},
		"not json":      {append([]byte("{nope"), mac...), "not valid JSON"},
		"mac not hex":   {append(bytes.Clone(good[:len(good)-66]), []byte(strings.Repeat("z", 64)+`"}`)...), "malformed"},
		"two macs":      {append(bytes.Clone(good[:len(good)-1]), mac...), "MAC does not match"},
		"other version": {resealed(t, k, good, `"v":1`, `"v":2`), "record version 2"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := k.Open(c.line); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Open(%s) = %v, want %q", c.line, err, c.want)
			}
		})
	}
}

// resealed edits a line and seals it again with the right key, as only
// unlockbot could: what is left to catch is the content.
func resealed(t *testing.T, k *Keyring, line []byte, from, to string) []byte {
	t.Helper()
	body := append(bytes.Replace(bytes.Clone(line[:len(line)-macSuffix]), []byte(from), []byte(to), 1), '}')
	sum, _ := k.mac(k.Current, body)
	out := append(bytes.Clone(body[:len(body)-1]), macField...)
	out = fmt.Appendf(out, "%x", sum)
	return append(out, '"', '}')
}

func TestKeyIDLength(t *testing.T) {
	key := bytes.Repeat([]byte("k"), 32)
	if _, err := NewKeyring(strings.Repeat("a", 64), map[string][]byte{strings.Repeat("a", 64): key}); err != nil {
		t.Fatalf("a 64-character key id was refused: %v", err)
	}
	if _, err := NewKeyring(strings.Repeat("a", 65), map[string][]byte{strings.Repeat("a", 65): key}); err == nil {
		t.Fatal("a 65-character key id was accepted")
	}
	if _, err := NewKeyring("k", map[string][]byte{"k": key[:31]}); err == nil {
		t.Fatal("a 31-byte key was accepted")
	}
}

func TestLinesStopsAtTheFirstBrokenRecord(t *testing.T) {
	k := testKeys(t)
	lines := trail(t, k, 4)
	lines[2] = bytes.Replace(lines[2], []byte(`"r2"`), []byte(`"r7"`), 1)
	var seen []string
	err := NewVerifier(k).Lines("t", bytes.NewReader(bytes.Join(lines, []byte("\n"))), func(r Record) error {
		seen = append(seen, r.RequestID)
		return nil
	})
	brokenAt(t, err, 3, "MAC does not match")
	if strings.Join(seen, ",") != "r0,r1" {
		t.Fatalf("records handed on: %v; the broken one and those after it must not be", seen)
	}
	// A callback's own error stops the walk too.
	stop := errors.New("enough")
	if err := NewVerifier(k).Lines("t", bytes.NewReader(bytes.Join(trail(t, k, 3), []byte("\n"))), func(Record) error { return stop }); err != stop {
		t.Fatalf("callback error: %v", err)
	}
	// A line longer than any record is reported where it is, not read whole.
	long := append(append(bytes.Join(trail(t, k, 2), []byte("\n")), '\n'), bytes.Repeat([]byte("x"), MaxLine+10)...)
	brokenAt(t, NewVerifier(k).Lines("t", bytes.NewReader(long), nil), 3, "unreadable")
}
