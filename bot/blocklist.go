package bot

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/unlockbot/unlockbot/identity"
)

// commonPasswordsFile is the 49,233 most common passwords of Mark Burnett's
// ten-million-password corpus (2015), lowercased, one a line, most common
// first, as @zxcvbn-ts/language-common 4.1.3 (MIT) ships them in
// src/passwords.json. Source, licence and checksum: docs/THIRD-PARTY.md,
// pinned by TestCommonPasswordsFile so a changed file is noticed.
//
//go:embed passwords_common.txt
var commonPasswordsFile string

// MinBlockedWord is the shortest word an org may add to its blocklist, and
// the shortest core of a password (see Blocklist) that is looked up: a
// three-letter substring would refuse far too many good passwords.
const MinBlockedWord = 4

// Blocklist refuses passwords people pick because others pick them too. A
// password is blocked when, lowercased and trimmed, it or one of these
// readings of it is on the list:
//   - its common substitutions undone (@4→a 8→b 3→e 1!→i 0→o $5→s 7+→t),
//     so "P@ssw0rd" reads "password";
//   - without the symbols before and after it ("Trustno1!" reads
//     "trustno1");
//   - its core, the part from the first letter to the last, so digits and
//     symbols added before or after ("Summer2024!", "!!Dragon77") do not
//     hide the word; and the core once the substitutions inside a word are
//     undone ("H3ll0!" reads "hello": a trailing 1 or ! stays padding);
//   - each of those with the substitutions undone.
//
// A derived reading shorter than MinBlockedWord is not looked up. An org's
// own words (its name, its products, the city) are stricter: a password
// containing one in any reading is blocked. Nothing else is guessed (no
// edit distance, no reversed words): what the list says is what is
// refused, and the docs can say so exactly.
type Blocklist struct {
	sorted []string // the common list, normalised, sorted for binary search
	words  []string // the org's words, lowercased, substitutions undone
}

var (
	commonOnce sync.Once
	common     *Blocklist
)

// CommonPasswords is the shipped list, parsed once and shared.
func CommonPasswords() *Blocklist {
	commonOnce.Do(func() {
		list := strings.Fields(commonPasswordsFile)
		for i, w := range list {
			list[i] = strings.ToLower(w)
		}
		slices.Sort(list)
		common = &Blocklist{sorted: slices.Compact(list)}
	})
	return common
}

// Len is how many common passwords the list holds.
func (b *Blocklist) Len() int { return len(b.sorted) }

// Words is how many words of the org's own the list holds.
func (b *Blocklist) Words() int { return len(b.words) }

// WithWords is b plus an org's own words, which must each hold at least
// MinBlockedWord characters; b itself is not changed.
func (b *Blocklist) WithWords(words []string) (*Blocklist, error) {
	out := &Blocklist{sorted: b.sorted, words: slices.Clone(b.words)}
	for _, w := range words {
		n := unleet(strings.ToLower(strings.TrimSpace(w)))
		if utf8.RuneCountInString(n) < MinBlockedWord {
			return nil, fmt.Errorf("%q is shorter than %d characters; a word that short would refuse too many good passwords", w, MinBlockedWord)
		}
		if !slices.Contains(out.words, n) {
			out.words = append(out.words, n)
		}
	}
	return out, nil
}

// ReadWords reads an org's word file: one word a line; blank lines and
// lines starting with # are skipped.
func ReadWords(r io.Reader) ([]string, error) {
	var words []string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if utf8.RuneCountInString(line) < MinBlockedWord {
			return nil, fmt.Errorf("line %d: %q is shorter than %d characters; a word that short would refuse too many good passwords", n, line, MinBlockedWord)
		}
		words = append(words, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the word list: %w", err)
	}
	return words, nil
}

// Blocked reports whether pw is on the list in any reading (see Blocklist).
func (b *Blocklist) Blocked(pw identity.Secret) bool {
	for _, r := range readings(pw.Reveal()) {
		if _, found := slices.BinarySearch(b.sorted, r); found {
			return true
		}
		for _, w := range b.words {
			if strings.Contains(r, w) {
				return true
			}
		}
	}
	return false
}

// readings are the forms of s that Blocked looks up.
func readings(s string) []string {
	low := strings.ToLower(strings.TrimSpace(s))
	out := []string{low, unleet(low)}
	for _, r := range []string{strings.TrimFunc(low, notAlnum), core(low), core(leetInner.Replace(low))} {
		if utf8.RuneCountInString(r) >= MinBlockedWord {
			out = append(out, r, unleet(r))
		}
	}
	return out
}

// leet undoes the substitutions people make for letters; each character
// has one reading ("1" is taken for "i", never "l"). leetInner leaves out
// "1" and "!", which end a password as padding more often than as letters.
var (
	leet      = strings.NewReplacer("@", "a", "4", "a", "8", "b", "3", "e", "1", "i", "!", "i", "0", "o", "$", "s", "5", "s", "7", "t", "+", "t")
	leetInner = strings.NewReplacer("@", "a", "4", "a", "8", "b", "3", "e", "0", "o", "$", "s", "5", "s", "7", "t", "+", "t")
)

func unleet(s string) string { return leet.Replace(s) }

func notAlnum(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// core is s from its first letter to its last, "" when it has none.
func core(s string) string {
	i := strings.IndexFunc(s, unicode.IsLetter)
	if i < 0 {
		return ""
	}
	j := strings.LastIndexFunc(s, unicode.IsLetter)
	_, size := utf8.DecodeRuneInString(s[j:])
	return s[i : j+size]
}
