package bot

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
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

// Generated passwords meet the org's own policy: a passphrase with a
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

func TestGeneratePassphraseShape(t *testing.T) {
	inList := map[string]bool{}
	for _, w := range wordList {
		inList[w] = true
	}
	digits, symbols, first := map[byte]bool{}, map[byte]bool{}, map[string]bool{}
	for _, words := range []int{-1, 0, 4, 5, 7, 10} {
		for range 300 {
			pw, err := GeneratePassphrase(words)
			if err != nil {
				t.Fatal(err)
			}
			s := pw.Reveal()
			parts := strings.Split(s, "-")
			if want := max(words, MinPassphraseWords); len(parts) != want+1 {
				t.Fatalf("GeneratePassphrase(%d): %d words, want %d", words, len(parts)-1, want)
			}
			for i, w := range parts[:len(parts)-1] {
				if i == 0 {
					if w[:1] != strings.ToUpper(w[:1]) || w[1:] != strings.ToLower(w[1:]) {
						t.Fatalf("first word %q is not capitalised", w)
					}
					first[strings.ToLower(w)] = true
				}
				if !inList[strings.ToLower(w)] {
					t.Fatalf("%q is not in the list", w)
				}
			}
			tail := parts[len(parts)-1]
			if len(tail) != 2 || !strings.Contains(genDigit, tail[:1]) || !strings.Contains(genPassSymbol, tail[1:]) {
				t.Fatalf("tail %q is not a digit and a symbol", tail)
			}
			digits[tail[0]], symbols[tail[1]] = true, true
			if msg := CheckPassword(pw, Policy{}, AccountRef{Username: "zz"}); msg != "" {
				t.Fatalf("passphrase fails policy: %s", msg)
			}
		}
	}
	if len(digits) != len(genDigit) || len(symbols) != len(genPassSymbol) || len(first) < 1400 {
		t.Fatalf("draws cover %d digits, %d symbols, %d first words", len(digits), len(symbols), len(first))
	}
}

// within reports whether got is tol or less from want; NaN never is, so a
// count gone negative cannot pass as a figure.
func within(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// The figures the README states. Random: 62^n strings less those missing a
// class. Passphrase: 7772^k words × 6 digits × 8 symbols.
func TestEntropyFigures(t *testing.T) {
	near := func(name string, got, want float64) {
		t.Helper()
		if !within(got, want, 5e-3) {
			t.Errorf("%s: %.4f bits, want %.4f", name, got, want)
		}
	}
	near("default (16 characters)", Entropy(Policy{}), 94.8196)
	near("12 characters", Entropy(Policy{GeneratedLength: 12}), 70.6718)
	near("16 characters", Entropy(Policy{GeneratedLength: 16}), 94.8196)
	near("20 characters", Entropy(Policy{GeneratedLength: 20}), 118.8146)
	near("64 characters", Entropy(Policy{GeneratedLength: 64}), 381.0664)
	near("min length 20 raises the length", Entropy(Policy{GeneratedLength: 16, MinPasswordLength: 20}), 118.8146)
	near("4 words (raised to 5)", Entropy(Policy{PassphraseWords: 4}), 70.2053)
	near("5 words", Entropy(Policy{PassphraseWords: 5}), 70.2053)
	near("6 words", Entropy(Policy{PassphraseWords: 6}), 83.1294)
	near("7 words", Entropy(Policy{PassphraseWords: 7}), 96.0535)
	near("10 words", Entropy(Policy{PassphraseWords: 10}), 134.8257)
	for k := 5; k <= 10; k++ {
		near(fmt.Sprintf("%d words, formula", k), Entropy(Policy{PassphraseWords: k}), float64(k)*math.Log2(7772)+math.Log2(6)+math.Log2(8))
	}
	// A length rule the shortest passphrases miss takes their share off.
	near("5 words, 40 characters", Entropy(Policy{PassphraseWords: 5, MinPasswordLength: 40}), 69.8144)
	near("5 words, 50 characters", Entropy(Policy{PassphraseWords: 5, MinPasswordLength: 50}), 63.2400)
	near("5 words, 52 characters", Entropy(Policy{PassphraseWords: 5, MinPasswordLength: 52}), 58.6031)
	if got := Entropy(Policy{PassphraseWords: 5, MinPasswordLength: 53}); got != 0 {
		t.Errorf("5 words can never reach 53 characters, got %.2f bits", got)
	}
}

// The floor is the first word count that reaches MinEntropyBits.
func TestMinPassphraseWords(t *testing.T) {
	below := passphraseEntropy(MinPassphraseWords-1, 0)
	at := passphraseEntropy(MinPassphraseWords, 0)
	if below >= MinEntropyBits || at < MinEntropyBits {
		t.Fatalf("%d words: %.2f bits, %d words: %.2f bits; floor %d", MinPassphraseWords-1, below, MinPassphraseWords, at, MinEntropyBits)
	}
	if Entropy(Policy{GeneratedLength: 12}) < MinEntropyBits {
		t.Fatal("the shortest random password allowed is below the floor")
	}
}

// randomEntropy's inclusion–exclusion against a plain count: every
// sequence of classes holding all four, times the ways to fill it.
func TestRandomEntropyCountsQualifyingStrings(t *testing.T) {
	sizes := []float64{}
	for _, set := range genClasses {
		sizes = append(sizes, float64(len(set)))
	}
	for n := 1; n <= 7; n++ {
		var count float64
		var walk func(pos int, used int, ways float64)
		walk = func(pos, used int, ways float64) {
			if pos == n {
				if used == 1<<len(sizes)-1 {
					count += ways
				}
				return
			}
			for c, size := range sizes {
				walk(pos+1, used|1<<c, ways*size)
			}
		}
		walk(0, 0, 1)
		want := 0.0 // no string of fewer than 4 characters holds 4 classes
		if count > 0 {
			want = math.Log2(count)
		}
		if got := randomEntropy(n); !within(got, want, 1e-9) {
			t.Errorf("n=%d: %.6f bits, counted %.6f", n, got, want)
		}
	}
	if got, want := randomEntropy(4), math.Log2(24*22*25*6*9); !within(got, want, 1e-9) {
		t.Errorf("4 characters: %.6f bits, want log2(4!·22·25·6·9) = %.6f", got, want)
	}
	// Past 171 characters 62^n no longer fits a float64; the figure must
	// still come out, and close to n·log2(62) as almost every string qualifies.
	for _, n := range []int{171, 172, 200, maxPasswordBytes} {
		if got, want := randomEntropy(n), float64(n)*math.Log2(62); !within(got, want, 1e-3) {
			t.Errorf("%d characters: %.4f bits, want about %.4f", n, got, want)
		}
	}
	if randomEntropy(maxPasswordBytes+1) != 0 {
		t.Error("a random password longer than CheckPassword accepts must count 0 bits")
	}
	if Entropy(Policy{GeneratedLength: 257}) != 0 {
		t.Error("Entropy: 257 characters can never pass")
	}
}

// passphraseEntropy's length rule against plain counts.
func TestPassphraseEntropyLengthRule(t *testing.T) {
	tail := math.Log2(float64(len(genDigit) * len(genPassSymbol)))
	for _, minLen := range []int{0, 6, 7, 8, 12} {
		n := 0
		for _, w := range wordList {
			if len(w)+3 >= minLen { // word, "-", digit, symbol
				n++
			}
		}
		if got, want := passphraseEntropy(1, minLen), math.Log2(float64(n))+tail; !within(got, want, 1e-9) {
			t.Errorf("1 word, min %d: %.6f bits, want %.6f", minLen, got, want)
		}
	}
	if passphraseEntropy(1, 13) != 0 {
		t.Error("no 1-word passphrase reaches 13 characters")
	}
	// 63 words of at least 3 letters make 254 characters or more: only
	// those of 254, 255 and 256 pass the 256 limit.
	byLen := map[int]float64{}
	for _, w := range wordList {
		byLen[len(w)]++
	}
	l3, l4, l5 := byLen[3], byLen[4], byLen[5]
	exact := []float64{
		math.Pow(l3, 63),
		63 * l4 * math.Pow(l3, 62),
		63*l5*math.Pow(l3, 62) + 63*62/2*l4*l4*math.Pow(l3, 61),
	}
	for i, minLen := range []int{254, 255, 256} {
		var sum float64
		for _, e := range exact[i:] {
			sum += e
		}
		if got, want := passphraseEntropy(63, minLen), math.Log2(sum)+tail; !within(got, want, 1e-9) {
			t.Errorf("63 words, min %d: %.6f bits, want %.6f", minLen, got, want)
		}
	}
	if passphraseEntropy(64, 0) != 0 {
		t.Error("64 words are always longer than 256 characters")
	}
}

func TestEntropyOfAHugeWordCountIsZeroAndQuick(t *testing.T) {
	// 100 words overflow the counts (7772^100 > 2^1024) yet stay at 0.
	for _, k := range []int{64, 100, 1 << 30} {
		if got := Entropy(Policy{PassphraseWords: k}); got != 0 {
			t.Fatalf("%d words: got %.2f bits", k, got)
		}
	}
}

// CheckPassword at each edge of each rule, so a rule that drifts by one
// (a length, a class count, a name of exactly three letters) is noticed.
func TestCheckPasswordEdges(t *testing.T) {
	acct := AccountRef{Username: "bob", DisplayName: "Lee Ox"}
	for _, tc := range []struct {
		name, pw string
		p        Policy
		want     string // "" passes; else a fragment of the refusal
	}{
		{"default minimum, exactly 12", "Abcdefgh-346", Policy{}, ""},
		{"default minimum, 11", "Abcdefg-346", Policy{}, "at least 12 characters (this one has 11)"},
		{"own minimum, exactly 20", "Abcdefgh-346-Abcdefg", Policy{MinPasswordLength: 20}, ""},
		{"own minimum, 19", "Abcdefgh-346-Abcdef", Policy{MinPasswordLength: 20}, "at least 20"},
		{"length counts characters, not bytes", "Éé-Ééééééé-3", Policy{}, ""},
		{"11 characters in 19 bytes", "Éé-Éééééé-3", Policy{}, "this one has 11"},
		{"exactly 256 bytes", "Aa3-" + strings.Repeat("x", 252), Policy{}, ""},
		{"257 bytes", "Aa3-" + strings.Repeat("x", 253), Policy{}, "at most 256"},
		{"tab", "Abcdefgh\t346", Policy{}, "control characters"},
		{"line feed", "Abcdefgh-346\n", Policy{}, "control characters"},
		{"carriage return", "Abcd\refgh-346", Policy{}, "control characters"},
		{"NUL", "Abcdefgh\x00346", Policy{}, "control characters"},
		{"DEL", "Abcdefgh\x7f346", Policy{}, "control characters"},
		{"C1 next line", "Abcdefgh\u0085346", Policy{}, "control characters"},
		{"upper lower digit", "Abcdefghi346", Policy{}, ""},
		{"upper lower symbol", "Abcdefghi-+!", Policy{}, ""},
		{"upper digit symbol", "ABCDEFGH-346", Policy{}, ""},
		{"lower digit symbol", "abcdefgh-346", Policy{}, ""},
		{"space is a symbol", "abcdefgh 346", Policy{}, ""},
		{"upper lower", "Abcdefghijkl", Policy{}, "three of"},
		{"upper digit", "ABCDEFGH3467", Policy{}, "three of"},
		{"upper symbol", "ABCDEFGH-+!?", Policy{}, "three of"},
		{"lower digit", "abcdefgh3467", Policy{}, "three of"},
		{"lower symbol", "abcdefgh-+!?", Policy{}, "three of"},
		{"digit symbol", "34678934-+!?", Policy{}, "three of"},
		{"non-ASCII letters count", "Élan-éclat-été", Policy{}, ""},
		{"account name of 3", "Xyz-Bob-3467", Policy{}, "account name"},
		{"display token of 3", "Xyz-lee-3467", Policy{}, "person's name"},
		{"display token of 2 is allowed", "Xyz-ox-34678", Policy{}, ""},
	} {
		got := CheckPassword(identity.NewSecret(tc.pw), tc.p, acct)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// AD skips an account name or a display-name token shorter than three
// characters; from three on it is refused anywhere, in any case.
func TestCheckPasswordNames(t *testing.T) {
	const pw = "Zq-JOE-al-Bö-Zoë-Ann-Eve-Kim-Ida-346"
	for _, tc := range []struct {
		acct AccountRef
		want string
	}{
		{AccountRef{Username: "joe"}, "account name"},
		{AccountRef{Username: "al"}, ""},
		{AccountRef{Username: "zq-j"}, "account name"},
		{AccountRef{Username: "bö"}, ""}, // two characters, three bytes
		{AccountRef{Username: "zoë"}, "account name"},
		{AccountRef{Username: "nobody", DisplayName: "Zoë Quinn"}, "person's name"},
		{AccountRef{Username: "nobody", DisplayName: "Bö Al Zq"}, ""},
		{AccountRef{Username: "nobody", DisplayName: "Xx,Ann"}, "person's name"},
		{AccountRef{Username: "nobody", DisplayName: "Xx.Eve"}, "person's name"},
		{AccountRef{Username: "nobody", DisplayName: "Xx-Kim"}, "person's name"},
		{AccountRef{Username: "nobody", DisplayName: "Xx_Ida"}, "person's name"},
		{AccountRef{Username: "nobody", DisplayName: "Xx#joe"}, "person's name"},
		{AccountRef{Username: "nobody", DisplayName: "Xx\tJoe"}, "person's name"},
		{AccountRef{Username: "nobody", DisplayName: "Xx Joe"}, "person's name"},
		{AccountRef{Username: "nobody", DisplayName: "Xx;Joe"}, ""}, // ";" does not split: "xx;joe" is not in it
		{AccountRef{Username: "nobody", DisplayName: "Mo"}, ""},
		{AccountRef{}, ""},
	} {
		got := CheckPassword(identity.NewSecret(pw), Policy{}, tc.acct)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%+v: got %q, want %q", tc.acct, got, tc.want)
		}
	}
}
