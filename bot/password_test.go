package bot

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/unlockbot/unlockbot/identity"
)

func TestGeneratedPasswordsPassPolicyAndAvoidLookAlikes(t *testing.T) {
	acct := AccountRef{Username: "alice", DisplayName: "Alice Smith"}
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		pw, err := GeneratePassword(16)
		if err != nil {
			t.Fatal(err)
		}
		s := pw.Reveal()
		if len(s) != 16 || strings.ContainsAny(s, "0O1lI5S2Z") {
			t.Fatalf("bad generated password shape %q", s)
		}
		if msg := CheckPassword(pw, Policy{}, acct); msg != "" && !strings.Contains(msg, "name") {
			t.Fatalf("generated password fails policy: %s", msg)
		}
		if seen[s] {
			t.Fatal("duplicate generated password")
		}
		seen[s] = true
	}
}

func TestPassphrase(t *testing.T) {
	for range 500 {
		pw, err := GeneratePassphrase(5)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(pw.Reveal(), "-")
		if len(parts) != 6 || !unicode.IsUpper(rune(parts[0][0])) {
			t.Fatalf("passphrase shape: %d parts", len(parts))
		}
		if msg := CheckPassword(pw, Policy{}, AccountRef{Username: "zz"}); msg != "" {
			t.Fatalf("passphrase fails policy: %s", msg)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	acct := AccountRef{Username: "jdoe", DisplayName: "John Doe-Smith"}
	for pw, want := range map[string]string{
		"Sh0rt!":                  "at least 12",
		"abcdefghijklmn":          "three of",
		"ABCDEFGH12345678":        "three of",
		"Hello-jdoe-2026":         "account name",
		"My-Smith-Rocks-1":        "person's name",
		"Tab\tinside-Passw0rd":    "control characters",
		"Correct-Horse-Battery-9": "",
		"ÉtéBrûlant-2026-Lumière": "",
	} {
		got := CheckPassword(identity.NewSecret(pw), Policy{}, acct)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%q: got %q, want %q", pw, got, want)
		}
		if strings.Contains(got, pw) {
			t.Errorf("the message repeats the password")
		}
	}
}

func TestSealer(t *testing.T) {
	s := NewEphemeralSealer()
	sealed, err := s.Seal(identity.NewSecret("Top-Secret-42"), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sealed), "Top-Secret") {
		t.Fatal("sealed value holds the plain text")
	}
	got, err := s.Open(sealed, "r1")
	if err != nil || got.Reveal() != "Top-Secret-42" {
		t.Fatalf("open: %v", err)
	}
	if _, err := s.Open(sealed, "r2"); err == nil {
		t.Fatal("opened under another request id")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open(sealed, "r1"); err == nil {
		t.Fatal("tampered value opened")
	}
	if _, err := NewSealer(make([]byte, 16)); err == nil {
		t.Fatal("16-byte key accepted")
	}
}

func TestSafeMessageNeverShowsTheChain(t *testing.T) {
	inner := identity.E("ldap.Unlock", identity.KindUnavailable, "The directory did not answer in time.", errString("dial tcp 10.0.0.5:636: i/o timeout"))
	outer := errorf("bot.unlock", KindUnavailable, inner, "%s", SafeMessage(inner))
	if got := SafeMessage(outer); strings.Contains(got, "10.0.0.5") || got != "The directory did not answer in time." {
		t.Fatalf("got %q", got)
	}
	if got := SafeMessage(errString("boom 10.0.0.5")); strings.Contains(got, "10.0.0.5") {
		t.Fatalf("raw error leaked: %q", got)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// Generated passwords meet the org's own policy: a 4-word passphrase with a
// 30-character minimum is retried until it is long enough, or refused.
func TestGenerateMeetsPolicy(t *testing.T) {
	acct := AccountRef{Username: "maple", DisplayName: "Maple River"}
	p := Policy{PassphraseWords: 6, MinPasswordLength: 30}.withDefaults()
	for range 50 {
		pw, err := generate(p, acct)
		if err != nil {
			t.Fatal(err)
		}
		if msg := CheckPassword(pw, p, acct); msg != "" {
			t.Fatalf("generated password fails policy: %s", msg)
		}
	}
	if _, err := generate(Policy{PassphraseWords: 4, MinPasswordLength: 128}.withDefaults(), acct); err == nil {
		t.Fatal("an impossible policy produced a password")
	}
}

// The shipped list is EFF's long list as published: pinned by its hash,
// checked line by line, and reduced only by the words holding a hyphen.
func TestWordListIsEFFLongList(t *testing.T) {
	sum := sha256.Sum256([]byte(effLongList))
	if got := hex.EncodeToString(sum[:]); got != "addd35536511597a02fa0a9ff1e5284677b8883b83e986e43f15a3db996b903e" {
		t.Fatalf("wordlist_eff_large.txt changed: sha256 %s", got)
	}
	lines := strings.Split(strings.TrimSuffix(effLongList, "\n"), "\n")
	if len(lines) != 7776 {
		t.Fatalf("%d lines, want 7776", len(lines))
	}
	line := regexp.MustCompile(`^[1-6]{5}\t[a-z]+(-[a-z]+)?$`)
	var hyphenated []string
	for i, l := range lines {
		if !line.MatchString(l) {
			t.Fatalf("line %d: %q", i+1, l)
		}
		// Five dice in order: 11111, 11112, ... 66666.
		code, n := l[:5], i
		for d := 4; d >= 0; d-- {
			if code[d] != byte('1'+n%6) {
				t.Fatalf("line %d: dice %s out of order", i+1, code)
			}
			n /= 6
		}
		if strings.Contains(l, "-") {
			hyphenated = append(hyphenated, l[6:])
		}
	}
	if got := strings.Join(hyphenated, " "); got != "drop-down felt-tip t-shirt yo-yo" {
		t.Fatalf("hyphenated words: %s", got)
	}
	if len(wordList) != 7772 {
		t.Fatalf("wordList has %d words, want 7772", len(wordList))
	}
	seen := map[string]bool{}
	for _, w := range wordList {
		if seen[w] || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Fatalf("word %q repeated or not plain lowercase", w)
		}
		seen[w] = true
	}
	if wordList[0] != "abacus" || wordList[len(wordList)-1] != "zoom" {
		t.Fatalf("list runs %q..%q", wordList[0], wordList[len(wordList)-1])
	}
}

func TestParseWordList(t *testing.T) {
	got := parseWordList("11111\tone\n11112\tt-shirt\n11113\ttwo words\n11114\tthree\n")
	if strings.Join(got, ",") != "one,three" {
		t.Fatalf("got %q", got)
	}
	for _, bad := range []string{"11111 one\n", "11111\t\n", "11111\tone\n\n11112\ttwo\n"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%q parsed without a panic", bad)
				}
			}()
			parseWordList(bad)
		}()
	}
}

func TestGeneratorAlphabet(t *testing.T) {
	if len(genAlphabet) != 62 {
		t.Fatalf("alphabet has %d characters, want 62", len(genAlphabet))
	}
	seen := map[rune]bool{}
	for _, r := range genAlphabet {
		if seen[r] || strings.ContainsRune("0O1lI5S2Z", r) {
			t.Fatalf("%q repeated or a look-alike", r)
		}
		seen[r] = true
	}
	for i, set := range genClasses {
		for _, r := range set {
			var ok bool
			switch i {
			case 0:
				ok = unicode.IsUpper(r)
			case 1:
				ok = unicode.IsLower(r)
			case 2:
				ok = unicode.IsDigit(r)
			default:
				ok = !unicode.IsLetter(r) && !unicode.IsDigit(r)
			}
			if !ok {
				t.Fatalf("%q is in the wrong class", r)
			}
		}
	}
	if genSymbol != genPassSymbol+"-" || strings.Contains(genPassSymbol, "-") {
		t.Fatalf("passphrase symbols %q must be the symbols less the separator", genPassSymbol)
	}
}

func TestGeneratePasswordLengthAndClasses(t *testing.T) {
	for n, want := range map[int]int{-1: 4, 0: 4, 3: 4, 4: 4, 5: 5, 12: 12, 64: 64} {
		pw, err := GeneratePassword(n)
		if err != nil {
			t.Fatal(err)
		}
		if s := pw.Reveal(); len(s) != want || !hasEveryClass([]byte(s)) || strings.Trim(s, genAlphabet) != "" {
			t.Errorf("GeneratePassword(%d) = %d characters, classes %v", n, len(s), hasEveryClass([]byte(s)))
		}
	}
	if hasEveryClass([]byte("Abc3")) || !hasEveryClass([]byte("Abc3-")) || hasEveryClass([]byte("bc3-")) || hasEveryClass([]byte("Ab-c")) {
		t.Fatal("hasEveryClass misjudges")
	}
	// Every character of the alphabet turns up in every position, so none
	// is left out and no class is pinned to a place.
	const n = 4
	seen := make([]map[byte]bool, n)
	for i := range seen {
		seen[i] = map[byte]bool{}
	}
	for range 3000 {
		pw, err := GeneratePassword(n)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range []byte(pw.Reveal()) {
			seen[i][c] = true
		}
	}
	for i := range seen {
		if len(seen[i]) != len(genAlphabet) {
			t.Fatalf("position %d saw %d of %d characters", i, len(seen[i]), len(genAlphabet))
		}
	}
}
