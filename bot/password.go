package bot

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"

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
	if len(s) > maxPasswordBytes {
		return fmt.Sprintf("Use at most %d characters.", maxPasswordBytes)
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
	if u := strings.ToLower(acct.Username); utf8.RuneCountInString(u) >= 3 && strings.Contains(low, u) {
		return "The password must not contain the account name."
	}
	for _, tok := range strings.FieldsFunc(strings.ToLower(acct.DisplayName), isNameSeparator) {
		if len([]rune(tok)) >= 3 && strings.Contains(low, tok) {
			return "The password must not contain part of the person's name."
		}
	}
	return ""
}

// maxPasswordBytes is the longest password CheckPassword accepts, counted
// in bytes.
const maxPasswordBytes = 256

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

// MinEntropyBits is the floor for a generated password. MinPassphraseWords
// is the fewest words that reach it: 5 × log2(7772) + log2(6) + log2(8) ≈
// 70.2 bits, where 4 words give only 57.3.
const (
	MinEntropyBits     = 60
	MinPassphraseWords = 5
)

// GeneratePassphrase joins words drawn uniformly from the EFF long list
// (crypto/rand), the first capitalised, then a digit and a symbol, e.g.
// "Panoramic-nectar-precut-smith-banana-7!". Easier to read over the
// phone. Fewer than MinPassphraseWords words are raised to it.
func GeneratePassphrase(words int) (identity.Secret, error) {
	words = max(words, MinPassphraseWords)
	parts := make([]string, 0, words+1)
	for i := range words {
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

// Entropy is the number of bits in a password generated for policy p, for
// the README and `unlockbot check` to state. It is exact for the generator
// and the policy's length rules: a random password is uniform over the
// strings of its length that hold every class; a passphrase is uniform
// over its words, digit and symbol (a word never holds "-", so each
// passphrase has one reading), less those that CheckPassword would refuse
// as too short or too long. generate() also redraws a password that holds
// the person's account or display name; that takes a little more off for
// that person (a few hundredths of a bit for names such as "Ann" or "Ted"),
// which no figure for the whole org can know. 0 means no generated
// password can pass the policy.
func Entropy(p Policy) float64 {
	p = p.withDefaults()
	if p.PassphraseWords > 0 {
		return passphraseEntropy(max(p.PassphraseWords, MinPassphraseWords), p.MinPasswordLength)
	}
	return randomEntropy(max(p.GeneratedLength, 4))
}

// randomEntropy counts the n-character strings over genAlphabet that hold
// every class, by inclusion–exclusion over the classes left out. It sums
// shares of 62^n rather than counts, which would overflow a float64 past
// 171 characters.
func randomEntropy(n int) float64 {
	if n < len(genClasses) || n > maxPasswordBytes {
		return 0 // no string qualifies, or none passes CheckPassword
	}
	var share float64 // of the 62^n strings, the part that holds every class
	for mask := range 1 << len(genClasses) {
		size, sign := len(genAlphabet), 1.0
		for i, set := range genClasses {
			if mask&(1<<i) != 0 {
				size -= len(set)
				sign = -sign
			}
		}
		share += sign * math.Pow(float64(size)/float64(len(genAlphabet)), float64(n))
	}
	return float64(n)*math.Log2(float64(len(genAlphabet))) + math.Log2(share)
}

// passphraseEntropy counts the passphrases of k words whose length, the
// letters plus k separators plus digit and symbol, CheckPassword accepts.
func passphraseEntropy(k, minLen int) float64 {
	if 2*k+2 > maxPasswordBytes {
		return 0 // a letter and a separator per word already make it too long
	}
	var byLen []float64 // byLen[l]: how many words have l letters
	for _, w := range wordList {
		for len(byLen) <= len(w) {
			byLen = append(byLen, 0)
		}
		byLen[len(w)]++
	}
	// ways[s]: how many sequences of the words drawn so far have s letters.
	ways := []float64{1}
	for range k {
		next := make([]float64, len(ways)+len(byLen)) // room for every sum
		for s, n := range ways {
			for l, m := range byLen {
				next[s+l] += n * m
			}
		}
		ways = next
	}
	var total float64
	for s, n := range ways {
		if l := s + k + 2; l >= minLen && l <= maxPasswordBytes {
			total += n
		}
	}
	if total == 0 {
		return 0
	}
	return math.Log2(total * float64(len(genDigit)*len(genPassSymbol)))
}
