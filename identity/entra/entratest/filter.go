package entratest

import (
	"fmt"
	"strings"
)

// clause is one condition of the OData subset the fake understands:
// startswith(prop,'literal') or prop eq 'literal' | true | false, joined by
// "or". Anything else is refused, as Graph refuses what it cannot run.
type clause struct {
	fn    string // "startswith" or "eq"
	prop  string
	value string // string literal unescaped, or "true"/"false"
	str   bool   // value was a string literal
}

type filterError struct{ msg string }

func (e *filterError) Error() string { return e.msg }

// parseFilter parses f into clauses joined by or.
func parseFilter(f string) ([]clause, error) {
	p := &parser{s: f}
	var out []clause
	for {
		c, err := p.clause()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		p.space()
		if p.eof() {
			return out, nil
		}
		if !p.word("or") {
			return nil, p.fail()
		}
	}
}

type parser struct {
	s   string
	pos int
}

func (p *parser) eof() bool { return p.pos >= len(p.s) }

func (p *parser) fail() error {
	return &filterError{fmt.Sprintf("Invalid filter clause: Syntax error at position %d in '%s'.", p.pos, p.s)}
}

func (p *parser) space() {
	for !p.eof() && p.s[p.pos] == ' ' {
		p.pos++
	}
}

// word consumes keyword w followed by a space or a parenthesis.
func (p *parser) word(w string) bool {
	p.space()
	if !strings.HasPrefix(p.s[p.pos:], w) {
		return false
	}
	end := p.pos + len(w)
	if end < len(p.s) && p.s[end] != ' ' && p.s[end] != '(' {
		return false
	}
	p.pos = end
	return true
}

func (p *parser) ident() (string, bool) {
	p.space()
	start := p.pos
	for !p.eof() {
		c := p.s[p.pos]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' && p.pos > start) {
			break
		}
		p.pos++
	}
	return p.s[start:p.pos], p.pos > start
}

func (p *parser) punct(c byte) bool {
	p.space()
	if p.eof() || p.s[p.pos] != c {
		return false
	}
	p.pos++
	return true
}

// literal reads 'text' with ” standing for one quote.
func (p *parser) literal() (string, bool) {
	p.space()
	if p.eof() || p.s[p.pos] != '\'' {
		return "", false
	}
	p.pos++
	var b strings.Builder
	for !p.eof() {
		c := p.s[p.pos]
		p.pos++
		if c != '\'' {
			b.WriteByte(c)
			continue
		}
		if !p.eof() && p.s[p.pos] == '\'' {
			b.WriteByte('\'')
			p.pos++
			continue
		}
		return b.String(), true
	}
	return "", false // unterminated
}

func (p *parser) clause() (clause, error) {
	if p.word("startswith") {
		if !p.punct('(') {
			return clause{}, p.fail()
		}
		prop, ok := p.ident()
		if !ok || !p.punct(',') {
			return clause{}, p.fail()
		}
		v, ok := p.literal()
		if !ok || !p.punct(')') {
			return clause{}, p.fail()
		}
		return clause{fn: "startswith", prop: prop, value: v, str: true}, nil
	}
	prop, ok := p.ident()
	if !ok || !p.word("eq") {
		return clause{}, p.fail()
	}
	if v, ok := p.literal(); ok {
		return clause{fn: "eq", prop: prop, value: v, str: true}, nil
	}
	for _, b := range []string{"true", "false"} {
		if p.word(b) {
			return clause{fn: "eq", prop: prop, value: b}, nil
		}
	}
	return clause{}, p.fail()
}

// allow checks every clause against the operators each property supports
// on an endpoint ("startswith:displayName", "eq:mail", ...).
func allow(cs []clause, ok ...string) error {
	for _, c := range cs {
		if !contains(ok, c.fn+":"+c.prop) {
			return &filterError{fmt.Sprintf("Unsupported or invalid query filter clause specified for property '%s' of resource 'User'.", c.prop)}
		}
	}
	return nil
}
