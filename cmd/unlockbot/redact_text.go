package main

import "bytes"

const redacted = "[redacted]"

// triggers are the bytes where a rule can start; the rest are skipped
// with one table lookup.
var triggers = [256]bool{'=': true, ':': true, 'b': true, 'B': true, 'x': true, 'e': true}

// redactText appends s to dst with credentials in free text masked. s may
// be the raw inside of a JSON string: a masked run always ends before a
// quote and never splits an escape, so the string stays valid.
func redactText(dst, s []byte) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !triggers[c] {
			continue
		}
		var from, to int // s[from:to] is replaced
		switch {
		case c == '=' || c == ':':
			from, to = pairValue(s, i)
		case (c == 'b' || c == 'B') && boundary(s, i):
			from, to = schemeToken(s, i)
		case c == 'x' && boundary(s, i):
			from, to = slackToken(s, i)
		case c == 'e' && boundary(s, i):
			from, to = jwt(s, i)
		}
		if to > from {
			dst = append(dst, s[last:from]...)
			dst = append(dst, redacted...)
			last, i = to, to-1
		}
	}
	return append(dst, s[last:]...)
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// boundary: s[i] starts a word. A letter after a backslash is an escape
// (\n, \t), which ends the word before it.
func boundary(s []byte, i int) bool {
	if i == 0 || !isWordByte(s[i-1]) {
		return true
	}
	return i >= 2 && s[i-2] == '\\'
}

// pairValue finds the value of `password=…`, `token: …`, `"secret": "…"`
// and `scheme://user:password@host` around the '=' or ':' at s[i].
func pairValue(s []byte, i int) (int, int) {
	if s[i] == ':' && bytes.HasPrefix(s[i+1:], []byte("//")) {
		return urlPassword(s, i+3)
	}
	k := i
	if k > 0 && s[k-1] == '"' { // "key": in text, or \"key\": inside JSON
		k--
		if k > 0 && s[k-1] == '\\' {
			k--
		}
	}
	w := k
	for w > 0 && (isWordByte(s[w-1]) || s[w-1] == '.') {
		w--
	}
	if w == k || !secretWord(s[w:k]) {
		return 0, 0
	}
	v := i + 1
	for v < len(s) && s[v] == ' ' {
		v++
	}
	if v < len(s) && s[v] == '"' {
		return v + 1, quoted(s, v+1, false)
	}
	if v+1 < len(s) && s[v] == '\\' && s[v+1] == '"' {
		return v + 2, quoted(s, v+2, true)
	}
	end := tokenEnd(s, v)
	if wordIs(s[w:k], "authorization") && end < len(s) && s[end] == ' ' {
		end = tokenEnd(s, end+1) // "Authorization: Bearer abc": scheme and credentials
	}
	return v, end
}

func wordIs(w []byte, lower string) bool {
	return len(w) == len(lower) && bytes.EqualFold(w, []byte(lower))
}

// tokenEnd is the end of an unquoted value starting at v: up to a space, a
// separator or a quote; an escape other than \" \n \r \t is part of it.
func tokenEnd(s []byte, v int) int {
	j := v
	for j < len(s) {
		switch s[j] {
		case ' ', '\t', '&', ',', ';', '"', '\'', ')', ']', '}', '<', '>':
			return j
		case '\\':
			if j+1 >= len(s) {
				return j
			}
			switch s[j+1] {
			case '"', 'n', 'r', 't':
				return j
			case 'u':
				if j+6 > len(s) {
					return j
				}
				j += 6
				continue
			}
			j += 2
			continue
		}
		j++
	}
	return j
}

// quoted is the end of a quoted value (before its closing quote; escaped
// means the quotes are \" inside a JSON string).
func quoted(s []byte, v int, escaped bool) int {
	for j := v; j < len(s); j++ {
		switch {
		case escaped && s[j] == '\\' && j+1 < len(s) && s[j+1] == '"':
			return j
		case !escaped && s[j] == '"':
			return j
		case s[j] == '\\':
			if j+1 < len(s) && s[j+1] == 'u' {
				j += 5
			} else {
				j++
			}
		}
	}
	return len(s) // unterminated: mask to the end
}

// urlPassword masks the password of scheme://user:password@host; u is the
// start of the authority.
func urlPassword(s []byte, u int) (int, int) {
	colon := -1
	for j := u; j < len(s); j++ {
		switch s[j] {
		case ':':
			if colon < 0 {
				colon = j
			}
		case '@':
			if colon >= 0 && j > colon+1 {
				return colon + 1, j
			}
			return 0, 0
		case '/', ' ', '"', '\\', '?', '#':
			return 0, 0
		}
	}
	return 0, 0
}

// schemeToken masks the credentials after "Bearer " or "Basic ". A Basic
// credential must look like base64, so "Basic setup" stays readable.
func schemeToken(s []byte, i int) (int, int) {
	var basic bool
	switch {
	case len(s)-i > 7 && bytes.EqualFold(s[i:i+6], []byte("bearer")):
		i += 6
	case len(s)-i > 6 && bytes.EqualFold(s[i:i+5], []byte("basic")):
		i, basic = i+5, true
	default:
		return 0, 0
	}
	if s[i] != ' ' {
		return 0, 0
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	j, b64ish := i, false
	for j < len(s) && isToken68(s[j]) {
		c := s[j]
		b64ish = b64ish || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' || (j > i && c >= 'A' && c <= 'Z')
		j++
	}
	if j-i < 8 || basic && !b64ish {
		return 0, 0
	}
	return i, j
}

func isToken68(c byte) bool {
	return isWordByte(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '='
}

// slackToken masks xoxb-/xoxp-/xoxa-/xoxe.… and xapp- tokens, keeping the
// prefix so a reader knows which kind leaked.
func slackToken(s []byte, i int) (int, int) {
	var p int
	switch {
	case len(s)-i > 5 && s[i+1] == 'o' && s[i+2] == 'x' && s[i+3] >= 'a' && s[i+3] <= 'z' && (s[i+4] == '-' || s[i+4] == '.'):
		p = i + 5
	case len(s)-i > 5 && bytes.Equal(s[i:i+5], []byte("xapp-")):
		p = i + 5
	default:
		return 0, 0
	}
	j := p
	for j < len(s) && (isWordByte(s[j]) || s[j] == '.') {
		j++
	}
	if j == p {
		return 0, 0
	}
	return p, j
}

// jwt masks header.payload.signature where the header is base64url JSON
// (it starts "eyJ", the encoding of `{"`).
func jwt(s []byte, i int) (int, int) {
	if len(s)-i < 10 || s[i+1] != 'y' || s[i+2] != 'J' {
		return 0, 0
	}
	j, dots, seg := i, 0, 0
	for ; j < len(s); j++ {
		c := s[j]
		if c == '.' {
			if seg == 0 || dots == 2 {
				break
			}
			dots, seg = dots+1, 0
			continue
		}
		if !isB64URL(c) {
			break
		}
		seg++
	}
	if dots != 2 {
		return 0, 0
	}
	return i, j
}

func isB64URL(c byte) bool { return isWordByte(c) }
