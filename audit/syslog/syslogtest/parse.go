// Package syslogtest is a strict syslog receiver for tests: TCP or TLS,
// RFC 6587 octet-counted frames, RFC 5424 messages checked field by field.
// Anything the RFCs do not allow is recorded as a violation and fails the
// test, so a sender cannot drift from the format unnoticed.
package syslogtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"
)

// MaxFrame bounds one message; a longer frame is a violation.
const MaxFrame = 1 << 20

// Message is one parsed RFC 5424 message.
type Message struct {
	Frame              []byte // the whole message as received, for duplicate checks
	Facility, Severity int
	Time               time.Time
	Hostname, AppName  string
	ProcID, MsgID      string
	SD                 map[string]map[string]string // SD-ID → PARAM-NAME → unescaped value
	BOM                bool
	Msg                []byte // MSG without the BOM
}

// ReadFrame reads "MSG-LEN SP SYSLOG-MSG" (RFC 6587 §3.4.1). io.EOF means
// the stream ended cleanly between frames.
func ReadFrame(r *bufio.Reader) ([]byte, error) {
	var digits []byte
	for {
		c, err := r.ReadByte()
		if err != nil {
			if err == io.EOF && len(digits) > 0 {
				return nil, errors.New("stream ended inside a frame length")
			}
			return nil, err
		}
		if c == ' ' {
			break
		}
		if c < '0' || c > '9' || (len(digits) == 0 && c == '0') || len(digits) >= 7 {
			return nil, fmt.Errorf("bad octet count byte %q after %q", c, digits)
		}
		digits = append(digits, c)
	}
	n, _ := strconv.Atoi(string(digits))
	if n == 0 || n > MaxFrame {
		return nil, fmt.Errorf("octet count %q out of range", digits)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, fmt.Errorf("stream ended inside a %d-octet frame: %w", n, err)
	}
	return msg, nil
}

var timestamp = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$`)

// Parse checks one SYSLOG-MSG against RFC 5424 §6 and takes it apart.
func Parse(b []byte) (Message, error) {
	m := Message{Frame: b}
	p := &parser{b: b}
	if !p.eat('<') {
		return m, errors.New("no PRI")
	}
	pri := p.while(func(c byte) bool { return c >= '0' && c <= '9' })
	v, err := strconv.Atoi(pri)
	if err != nil || len(pri) > 3 || (len(pri) > 1 && pri[0] == '0') || v > 191 || !p.eat('>') {
		return m, fmt.Errorf("bad PRI %q", pri)
	}
	m.Facility, m.Severity = v/8, v%8
	if !p.eat('1') || !p.eat(' ') {
		return m, errors.New("VERSION is not 1")
	}
	ts := p.field()
	if ts != "-" {
		if !timestamp.MatchString(ts) {
			return m, fmt.Errorf("bad TIMESTAMP %q", ts)
		}
		if m.Time, err = time.Parse(time.RFC3339Nano, ts); err != nil {
			return m, fmt.Errorf("bad TIMESTAMP %q: %v", ts, err)
		}
	}
	for _, f := range []struct {
		dst  *string
		name string
		max  int
	}{{&m.Hostname, "HOSTNAME", 255}, {&m.AppName, "APP-NAME", 48}, {&m.ProcID, "PROCID", 128}, {&m.MsgID, "MSGID", 32}} {
		if !p.eat(' ') {
			return m, fmt.Errorf("no SP before %s", f.name)
		}
		*f.dst = p.field()
		if len(*f.dst) == 0 || len(*f.dst) > f.max {
			return m, fmt.Errorf("%s %q is empty or longer than %d", f.name, *f.dst, f.max)
		}
	}
	if !p.eat(' ') {
		return m, errors.New("no SP before STRUCTURED-DATA")
	}
	if m.SD, err = p.structured(); err != nil {
		return m, err
	}
	if p.i == len(b) {
		return m, nil
	}
	if !p.eat(' ') {
		return m, errors.New("no SP between STRUCTURED-DATA and MSG")
	}
	m.Msg = b[p.i:]
	if m.BOM = bytes.HasPrefix(m.Msg, []byte{0xEF, 0xBB, 0xBF}); m.BOM {
		m.Msg = m.Msg[3:]
		if !utf8.Valid(m.Msg) {
			return m, errors.New("MSG starts with a BOM but is not UTF-8")
		}
	}
	return m, nil
}

type parser struct {
	b []byte
	i int
}

func (p *parser) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) while(ok func(byte) bool) string {
	start := p.i
	for p.i < len(p.b) && ok(p.b[p.i]) {
		p.i++
	}
	return string(p.b[start:p.i])
}

// field is a run of PRINTUSASCII (33..126).
func (p *parser) field() string { return p.while(func(c byte) bool { return c >= 33 && c <= 126 }) }

func sdName(c byte) bool { return c >= 33 && c <= 126 && c != '=' && c != ']' && c != '"' }

// structured reads NILVALUE or one or more SD-ELEMENTs (§6.3).
func (p *parser) structured() (map[string]map[string]string, error) {
	sd := map[string]map[string]string{}
	if p.eat('-') {
		return sd, nil
	}
	for p.eat('[') {
		id := p.while(sdName)
		if id == "" || len(id) > 32 {
			return nil, fmt.Errorf("bad SD-ID %q", id)
		}
		if _, dup := sd[id]; dup {
			return nil, fmt.Errorf("SD-ID %q appears twice", id)
		}
		params := map[string]string{}
		for p.eat(' ') {
			name := p.while(sdName)
			if name == "" || len(name) > 32 || !p.eat('=') || !p.eat('"') {
				return nil, fmt.Errorf("bad SD-PARAM %q in %s", name, id)
			}
			val, err := p.value()
			if err != nil {
				return nil, fmt.Errorf("SD-PARAM %s in %s: %w", name, id, err)
			}
			params[name] = val
		}
		if !p.eat(']') {
			return nil, fmt.Errorf("SD-ELEMENT %s is not closed by ]", id)
		}
		sd[id] = params
	}
	if len(sd) == 0 {
		return nil, errors.New("STRUCTURED-DATA is neither - nor [...]")
	}
	return sd, nil
}

// value reads a PARAM-VALUE up to its closing quote. '"', '\' and ']' must
// be escaped (§6.3.3); a backslash before anything else is a backslash.
func (p *parser) value() (string, error) {
	var out []byte
	for p.i < len(p.b) {
		c := p.b[p.i]
		p.i++
		switch {
		case c == '"':
			if !utf8.Valid(out) {
				return "", errors.New("PARAM-VALUE is not UTF-8")
			}
			return string(out), nil
		case c == ']':
			return "", errors.New("unescaped ] in PARAM-VALUE")
		case c == '\\' && p.i < len(p.b) && (p.b[p.i] == '"' || p.b[p.i] == '\\' || p.b[p.i] == ']'):
			out = append(out, p.b[p.i])
			p.i++
		default:
			out = append(out, c)
		}
	}
	return "", errors.New("PARAM-VALUE is not closed")
}
