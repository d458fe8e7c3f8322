package main

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
)

// redactor is the log's backstop. Secrets are a type that prints
// "[redacted]" and the code logs facts, not secrets; this writer catches
// what slips past anyway (an error from a library quoting a header, a token
// pasted into a free-text field): values of secret-looking JSON keys at any
// depth, Authorization/Bearer/Basic credentials, Slack tokens, JWTs, URL
// passwords and password=… pairs inside any string.
//
// It reads zerolog's JSON lines and writes each, redacted and still valid
// JSON, with exactly one Write downstream, so a console formatter or a log
// shipper after it never sees half a line. A line may arrive in pieces (a
// secret split across two Writes is still caught): bytes wait until their
// newline, or until maxLogLine, then go out as a line of their own.
type redactor struct {
	mu      sync.Mutex
	out     io.Writer
	pending []byte // the start of a line whose newline has not come yet
	buf     []byte // the redacted line, reused
	keys    keyCache
}

// keyCache remembers which JSON keys are secret: a logger repeats a few
// dozen keys, and a map lookup is cheaper than matching every word.
type keyCache map[string]bool

const maxCachedKeys = 512

func (c *keyCache) secret(raw []byte) bool {
	if v, ok := (*c)[string(raw)]; ok {
		return v
	}
	v := secretKey(raw)
	if *c == nil || len(*c) >= maxCachedKeys {
		*c = keyCache{} // hostile input must not grow it without end
	}
	(*c)[string(raw)] = v
	return v
}

// maxLogLine bounds what waits for a newline.
const maxLogLine = 1 << 20

func newRedactor(w io.Writer) *redactor { return &redactor{out: w} }

// Write takes any bytes; it reports len(p) once they are consumed, and the
// first error of the lines it wrote (a failed line is dropped, not retried).
func (r *redactor) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(p)
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			r.pending = append(r.pending, p...)
			if len(r.pending) >= maxLogLine {
				keep(r.emit(r.pending))
				r.pending = r.pending[:0]
			}
			break
		}
		line := p[:i]
		if len(r.pending) > 0 {
			r.pending = append(r.pending, line...)
			line = r.pending
		}
		keep(r.emit(line))
		r.pending = r.pending[:0]
		p = p[i+1:]
	}
	if cap(r.pending) > 64<<10 && len(r.pending) == 0 {
		r.pending = nil // one huge line must not pin its buffer
	}
	return n, first
}

// Flush writes a last line that never got its newline.
func (r *redactor) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) == 0 {
		return nil
	}
	err := r.emit(r.pending)
	r.pending = r.pending[:0]
	return err
}

func (r *redactor) emit(line []byte) error {
	r.buf = append(redactLine(r.buf[:0], line, &r.keys), '\n')
	n, err := r.out.Write(r.buf)
	if err == nil && n < len(r.buf) {
		err = io.ErrShortWrite
	}
	if cap(r.buf) > 64<<10 {
		r.buf = nil
	}
	return err
}

// secretKey reports whether a JSON key names a secret. Escaped keys
// ("pass\u0077ord") are decoded first, so spelling a key oddly does not
// slip it past.
func secretKey(raw []byte) bool {
	if bytes.IndexByte(raw, '\\') >= 0 {
		var k string
		if json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &k) != nil {
			return true // undecodable: assume the worst
		}
		raw = []byte(k)
	}
	return secretWord(raw)
}

// secretWords are matched inside a key or a word, case-insensitively,
// with '_', '-', '.' and spaces removed: "DB_PASSWORD", "x-api-key",
// "clientSecret", "Set-Cookie". They are grouped by first letter so a
// word is read once.
var secretWords = [256][]string{
	'p': {"password", "passwd", "pwd"}, 's': {"secret", "sealkey"}, 't': {"token"},
	'a': {"apikey", "authorization"}, 'h': {"hmackey"}, 'c': {"cookie"},
}

func secretWord(w []byte) bool {
	if len(w) < 3 {
		return false
	}
	var small [64]byte
	norm := small[:0]
	for _, c := range w {
		switch {
		case c >= 'A' && c <= 'Z':
			norm = append(norm, c+'a'-'A')
		case c == '_' || c == '-' || c == '.' || c == ' ':
		default:
			norm = append(norm, c)
		}
	}
	for j := 0; j+3 <= len(norm); j++ {
		for _, s := range secretWords[norm[j]] {
			if len(norm)-j >= len(s) && string(norm[j:j+len(s)]) == s {
				return true
			}
		}
	}
	return false
}
