package connectwisetest

import (
	"fmt"
	"strconv"
	"strings"
)

// cond is one clause of ConnectWise's `conditions` query language, the part
// of it the fake understands: field op value, joined by "and".
// https://developer.connectwise.com/Products/ConnectWise_PSA/Developer_Guide#Conditions
type cond struct {
	field string
	op    string // =, !=, like, contains
	val   any    // int, bool or string
}

// parseConditions refuses what it does not understand, so a client that
// sends a malformed condition fails here as it would against the server.
func parseConditions(s string) ([]cond, error) {
	var out []cond
	rest := strings.TrimSpace(s)
	for rest != "" {
		c, tail, err := parseClause(rest)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		tail = strings.TrimSpace(tail)
		if tail == "" {
			break
		}
		low := strings.ToLower(tail)
		if !strings.HasPrefix(low, "and ") {
			return nil, fmt.Errorf("expected 'and' at %q", tail)
		}
		rest = strings.TrimSpace(tail[4:])
	}
	return out, nil
}

func parseClause(s string) (cond, string, error) {
	i := strings.IndexAny(s, " =!")
	if i <= 0 {
		return cond{}, "", fmt.Errorf("expected a field name at %q", s)
	}
	c := cond{field: s[:i]}
	s = strings.TrimSpace(s[i:])
	switch low := strings.ToLower(s); {
	case strings.HasPrefix(low, "!="):
		c.op, s = "!=", s[2:]
	case strings.HasPrefix(low, "="):
		c.op, s = "=", s[1:]
	case strings.HasPrefix(low, "like "):
		c.op, s = "like", s[5:]
	case strings.HasPrefix(low, "contains "):
		c.op, s = "contains", s[9:]
	default:
		return cond{}, "", fmt.Errorf("expected an operator after %s", c.field)
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for j := 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				if j+1 < len(s) {
					j++
					b.WriteByte(s[j])
				}
			case '"':
				c.val = b.String()
				return c, s[j+1:], nil
			default:
				b.WriteByte(s[j])
			}
		}
		return cond{}, "", fmt.Errorf("unterminated string for %s", c.field)
	}
	end := strings.IndexByte(s, ' ')
	if end < 0 {
		end = len(s)
	}
	word, tail := s[:end], s[end:]
	switch strings.ToLower(word) {
	case "true":
		c.val = true
	case "false":
		c.val = false
	default:
		n, err := strconv.Atoi(word)
		if err != nil {
			return cond{}, "", fmt.Errorf("value %q for %s must be a number, true/false or a quoted string", word, c.field)
		}
		c.val = n
	}
	return c, tail, nil
}

// match reports whether a record (its fields by condition name) satisfies
// every clause; an unknown field is an error, as on the server.
func match(cs []cond, fields map[string]any) (bool, error) {
	for _, c := range cs {
		v, ok := fields[c.field]
		if !ok {
			return false, fmt.Errorf("unknown field %s in conditions", c.field)
		}
		if !matchOne(c, v) {
			return false, nil
		}
	}
	return true, nil
}

func matchOne(c cond, v any) bool {
	switch c.op {
	case "=":
		if s, ok := v.(string); ok {
			cs, _ := c.val.(string)
			return strings.EqualFold(s, cs)
		}
		return v == c.val
	case "!=":
		return v != c.val
	case "contains", "like":
		s, _ := v.(string)
		pat, _ := c.val.(string)
		pat = strings.Trim(pat, "%")
		return strings.Contains(strings.ToLower(s), strings.ToLower(pat))
	}
	return false
}
