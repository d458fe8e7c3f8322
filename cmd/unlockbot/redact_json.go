package main

// redactLine appends line to dst with secrets masked: as JSON when it is
// one JSON value, else as text.
func redactLine(dst, line []byte, keys *keyCache) []byte {
	mark := len(dst)
	w := jsonRedactor{s: line, dst: dst, keys: keys}
	if w.value() {
		w.space()
		if w.i == len(line) {
			return w.dst
		}
	}
	return redactText(dst[:mark], line)
}

// jsonRedactor copies one JSON value, masking the values of secret keys
// and the secrets inside every string. It fails on anything that is not
// JSON, and the line is then redacted as text.
type jsonRedactor struct {
	s     []byte
	i     int
	dst   []byte
	depth int
	keys  *keyCache
}

const maxJSONDepth = 64

func (w *jsonRedactor) space() {
	for w.i < len(w.s) {
		switch w.s[w.i] {
		case ' ', '\t', '\r', '\n':
			w.dst = append(w.dst, w.s[w.i])
			w.i++
		default:
			return
		}
	}
}

func (w *jsonRedactor) value() bool {
	w.space()
	if w.i >= len(w.s) {
		return false
	}
	switch c := w.s[w.i]; c {
	case '{', '[':
		return w.container(c)
	case '"':
		end, ok := stringEnd(w.s, w.i)
		if !ok {
			return false
		}
		w.dst = append(w.dst, '"')
		w.dst = redactText(w.dst, w.s[w.i+1:end-1])
		w.dst = append(w.dst, '"')
		w.i = end
		return true
	}
	start := w.i
	for w.i < len(w.s) {
		c := w.s[w.i]
		if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			break
		}
		if c < 0x20 || c == '"' || c == '{' || c == '[' || c == ':' {
			return false
		}
		w.i++
	}
	if w.i == start {
		return false
	}
	w.dst = append(w.dst, w.s[start:w.i]...)
	return true
}

// container copies an object ('{') or an array ('['). Literals are taken
// as they come: the JSON is zerolog's, only its strings are hostile.
func (w *jsonRedactor) container(open byte) bool {
	if w.depth++; w.depth > maxJSONDepth {
		return false
	}
	defer func() { w.depth-- }()
	closer := byte(']')
	if open == '{' {
		closer = '}'
	}
	w.dst = append(w.dst, open)
	w.i++
	w.space()
	if w.i < len(w.s) && w.s[w.i] == closer {
		w.dst = append(w.dst, closer)
		w.i++
		return true
	}
	for {
		if open == '{' {
			if !w.member() {
				return false
			}
		} else if !w.value() {
			return false
		}
		w.space()
		if w.i >= len(w.s) {
			return false
		}
		switch w.s[w.i] {
		case ',':
			w.dst = append(w.dst, ',')
			w.i++
		case closer:
			w.dst = append(w.dst, closer)
			w.i++
			return true
		default:
			return false
		}
	}
}

// member copies `"key": value`; a secret key's value, whatever its shape,
// becomes "[redacted]" (null stays null: there is nothing to hide).
func (w *jsonRedactor) member() bool {
	w.space()
	if w.i >= len(w.s) || w.s[w.i] != '"' {
		return false
	}
	end, ok := stringEnd(w.s, w.i)
	if !ok {
		return false
	}
	key := w.s[w.i+1 : end-1]
	w.dst = append(w.dst, w.s[w.i:end]...)
	w.i = end
	w.space()
	if w.i >= len(w.s) || w.s[w.i] != ':' {
		return false
	}
	w.dst = append(w.dst, ':')
	w.i++
	if !w.keys.secret(key) {
		return w.value()
	}
	w.space()
	mark, start := len(w.dst), w.i
	if !w.value() {
		return false
	}
	w.dst = w.dst[:mark]
	if string(w.s[start:w.i]) == "null" {
		w.dst = append(w.dst, "null"...)
	} else {
		w.dst = append(w.dst, `"[redacted]"`...)
	}
	return true
}

// stringEnd returns the index just past the JSON string starting at s[i].
func stringEnd(s []byte, i int) (int, bool) {
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			return j + 1, true
		case c == '\\':
			j++
		case c < 0x20:
			return 0, false
		}
	}
	return 0, false
}
