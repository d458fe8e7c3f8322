package bot

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
)

func TestCommonPasswordsFile(t *testing.T) {
	sum := sha256.Sum256([]byte(commonPasswordsFile))
	if got := hex.EncodeToString(sum[:]); got != "861b4d0bacb7ff670bd98e8f92260694f7d75e2267239ebd92c007357d1cfe2b" {
		t.Fatalf("passwords_common.txt changed: sha256 %s (update docs/THIRD-PARTY.md with its new source)", got)
	}
	lines := strings.Split(strings.TrimSuffix(commonPasswordsFile, "\n"), "\n")
	line := regexp.MustCompile(`^[\x21-\x7e]+$`) // printable ASCII, no space
	for i, l := range lines {
		if !line.MatchString(l) || l != strings.ToLower(l) {
			t.Fatalf("line %d: %q is not one lowercase word", i+1, l)
		}
	}
	if lines[0] != "123456" || lines[1] != "password" {
		t.Fatalf("not most common first: %q", lines[:2])
	}
	if n := CommonPasswords().Len(); n != 49233 || len(lines) != n {
		t.Fatalf("%d lines, %d distinct; want 49233 of each", len(lines), n)
	}
	if CommonPasswords() != CommonPasswords() {
		t.Fatal("the shipped list is parsed more than once")
	}
}

func TestBlockedReadings(t *testing.T) {
	b := CommonPasswords()
	for pw, want := range map[string]bool{
		"password":                        true, // on the list as it is
		"  PassWord ":                     true, // case and surrounding space
		"P@ssw0rd":                        true, // substitutions
		"Trustno1!":                       true, // symbols around an entry that holds a digit
		"Summer2024!":                     true, // core: digits and symbols after
		"!!Dragon77":                      true, // and before
		"H3ll0!":                          true, // substitutions at the core's edge
		"ILoveYou-2025#":                  true,
		"W3lc0me-2026!":                   true,
		"xkcd":                            false, // not on the list
		"Kx9#mQ2!vRt7@L":                  false,
		"Correct-Horse-Battery-Staple-9!": false,
		"Blue2024!!!!":                    true,  // a core of exactly 4 is looked up
		"Hol!!!!!!!!!!":                   false, // core "hol" (on the list) is too short to look up
		"Dog1234567890":                   false, // likewise "dog"
		"1234567":                         true,  // digits only: the whole string is looked up
		"7654321x":                        false,
		"":                                false,
	} {
		if got := b.Blocked(identity.NewSecret(pw)); got != want {
			t.Errorf("Blocked(%q) = %t, want %t", pw, got, want)
		}
	}
}

func TestOrgWordsBlockAnywhere(t *testing.T) {
	b, err := CommonPasswords().WithWords([]string{"Contoso", " redmond ", "c0ntoso"})
	if err != nil {
		t.Fatal(err)
	}
	if b.Words() != 2 || b.Len() != CommonPasswords().Len() {
		t.Fatalf("words %d (want 2: c0ntoso reads contoso), common %d", b.Words(), b.Len())
	}
	for pw, want := range map[string]bool{
		"MyContosoLogin-9":   true,
		"C0nt0s0-Rocks-2026": true, // the substitutions undone
		"#Redmond#Rain#42":   true,
		"Cont-oso-Rocks-26":  false, // split: not the word
		"password":           true,  // the shipped list still applies
		"Kx9#mQ2!vRt7@L":     false,
	} {
		if got := b.Blocked(identity.NewSecret(pw)); got != want {
			t.Errorf("Blocked(%q) = %t, want %t", pw, got, want)
		}
	}
	if CommonPasswords().Blocked(identity.NewSecret("MyContosoLogin-9")) {
		t.Fatal("WithWords changed the shared list")
	}
	if _, err := CommonPasswords().WithWords([]string{"abc"}); err == nil || !strings.Contains(err.Error(), "shorter than 4") {
		t.Fatalf("a 3-letter word: %v", err)
	}
}

func TestReadWords(t *testing.T) {
	words, err := ReadWords(strings.NewReader("# Contoso's words\nContoso\n\n  redmond  \r\n#abc\nfabrikam\nacme"))
	if err != nil || strings.Join(words, ",") != "Contoso,redmond,fabrikam,acme" {
		t.Fatalf("words %q, err %v", words, err)
	}
	_, err = ReadWords(strings.NewReader("contoso\nabc\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("short word: %v", err)
	}
	_, err = ReadWords(strings.NewReader(strings.Repeat("x", 70000)))
	if err == nil || !strings.Contains(err.Error(), "reading the word list") {
		t.Fatalf("overlong line: %v", err)
	}
}

// Generated passwords must pass the blocklist that typed ones face; their
// randomness makes a hit all but impossible, which this samples.
func TestGeneratedPasswordsAreNotBlocked(t *testing.T) {
	b := CommonPasswords()
	for i := range 300 {
		pw, err := generate(Policy{PassphraseWords: 5 * (i % 2)}.withDefaults(), AccountRef{Username: "bob"})
		if err != nil {
			t.Fatal(err)
		}
		if b.Blocked(pw) {
			t.Fatalf("generated password %d is blocked", i)
		}
	}
}

// generate redraws until the org's words are absent, and with words
// that every passphrase holds it gives up and says why.
func TestGenerateAvoidsOrgWords(t *testing.T) {
	half, err := CommonPasswords().WithWords(passphraseEndings('a', 'f')) // about a quarter of all passphrases: 20 draws all blocked is then one in 10^12 (with half it failed a run)
	if err != nil {
		t.Fatal(err)
	}
	p := Policy{Blocklist: half, PassphraseWords: 5}.withDefaults()
	for range 30 {
		pw, err := generate(p, AccountRef{Username: "bob"})
		if err != nil || half.Blocked(pw) {
			t.Fatalf("blocked %v, err %v", half.Blocked(pw), err)
		}
	}
	all, err := CommonPasswords().WithWords(passphraseEndings('a', 'z'))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := generate(Policy{Blocklist: all, PassphraseWords: 5}.withDefaults(), AccountRef{Username: "bob"}); err == nil {
		t.Fatal("a blocklist refusing every passphrase still gave one")
	}
}

// passphraseEndings are the ends of the passphrases whose last word ends
// in a letter from first to last: that letter, "-", a digit and a symbol.
func passphraseEndings(first, last rune) []string {
	var out []string
	for l := first; l <= last; l++ {
		for _, d := range genDigit {
			for _, s := range genPassSymbol {
				out = append(out, string(l)+"-"+string(d)+string(s))
			}
		}
	}
	return out
}
