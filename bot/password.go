package bot

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode"

	"github.com/unlockbot/unlockbot/identity"
)

// CheckPassword applies the org policy before anything is sent to the
// directory, with the same rules AD's default complexity uses (three of four
// character classes; no account name; no display-name token of 3+ chars),
// so the technician learns what is wrong inside the form. The directory may
// still refuse (history, its own length); that reason is shown as AD gives it.
func CheckPassword(pw identity.Secret, p Policy, acct AccountRef) string {
	p = p.withDefaults()
	s := pw.Reveal()
	if n := len([]rune(s)); n < p.MinPasswordLength {
		return fmt.Sprintf("Use at least %d characters (this one has %d), or leave the field empty to generate one.", p.MinPasswordLength, n)
	}
	if len(s) > 256 {
		return "Use at most 256 characters."
	}
	var upper, lower, digit, other bool
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return "Remove the control characters (tabs, line breaks) from the password."
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	if classes := count(upper, lower, digit, other); classes < 3 {
		return "Mix at least three of: upper case, lower case, digits, symbols."
	}
	low := strings.ToLower(s)
	if u := strings.ToLower(acct.Username); len(u) >= 3 && strings.Contains(low, u) {
		return "The password must not contain the account name."
	}
	for _, tok := range strings.FieldsFunc(strings.ToLower(acct.DisplayName), isNameSeparator) {
		if len([]rune(tok)) >= 3 && strings.Contains(low, tok) {
			return "The password must not contain part of the person's name."
		}
	}
	return ""
}

func isNameSeparator(r rune) bool {
	return strings.ContainsRune(",.-_# \t", r)
}

func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// Character sets without look-alikes (0/O, 1/l/I, 5/S, 2/Z) so a password
// read aloud over the phone is typed right the first time. Passphrases take
// their symbol from genPassSymbol: "-" already separates the words.
const (
	genUpper      = "ABCDEFGHJKLMNPQRTUVWXY"
	genLower      = "abcdefghijkmnopqrstuvwxyz"
	genDigit      = "346789"
	genPassSymbol = "!#%+=?@*"
	genSymbol     = genPassSymbol + "-"
	genAlphabet   = genUpper + genLower + genDigit + genSymbol
)

// genClasses: a generated random password holds a character of each.
var genClasses = [...]string{genUpper, genLower, genDigit, genSymbol}

// GeneratePassword returns a random password of length n (at least 4) from
// crypto/rand: n characters drawn uniformly from genAlphabet, drawn again
// until every class is present. Redrawing, rather than planting one
// character of each class, keeps the result uniform over all the strings
// that qualify, so Entropy can count them exactly.
func GeneratePassword(n int) (identity.Secret, error) {
	n = max(n, 4)
	out := make([]byte, n)
	// Even at n = 4 one draw in 21 qualifies; 1,000 draws failing means
	// the character sets are broken, not bad luck (odds below 1e-21).
	for range 1000 {
		for i := range out {
			c, err := pick(genAlphabet)
			if err != nil {
				return identity.Secret{}, err
			}
			out[i] = c
		}
		if hasEveryClass(out) {
			return identity.NewSecret(string(out)), nil
		}
	}
	return identity.Secret{}, errors.New("random: no draw held every character class")
}

func hasEveryClass(b []byte) bool {
	for _, set := range genClasses {
		if !strings.ContainsAny(string(b), set) {
			return false
		}
	}
	return true
}

// GeneratePassphrase joins words from a short list with a digit and a
// symbol, e.g. "Maple-river-7-Quiet!". Easier to read over the phone.
func GeneratePassphrase(words int) (identity.Secret, error) {
	if words < 4 {
		words = 4
	}
	parts := make([]string, 0, words+1)
	for i := 0; i < words; i++ {
		j, err := randInt(len(wordList))
		if err != nil {
			return identity.Secret{}, err
		}
		w := wordList[j]
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		parts = append(parts, w)
	}
	d, err := pick(genDigit)
	if err != nil {
		return identity.Secret{}, err
	}
	s, err := pick(genPassSymbol)
	if err != nil {
		return identity.Secret{}, err
	}
	parts = append(parts, string(d)+string(s))
	return identity.NewSecret(strings.Join(parts, "-")), nil
}

func pick(set string) (byte, error) {
	i, err := randInt(len(set))
	if err != nil {
		return 0, err
	}
	return set[i], nil
}

func randInt(n int) (int, error) {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("random: %w", err)
	}
	return int(v.Int64()), nil
}
