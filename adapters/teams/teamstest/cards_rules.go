package teamstest

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// explain turns the schema's error tree into the one failure a person
// can act on. Elements and actions are an anyOf over every type, so a
// bad TextBlock fails every branch; the branches whose "type" did not
// match are noise and are dropped, and a value that matched no type at
// all is an unknown element type.
func explain(e *jsonschema.ValidationError) error {
	for len(e.Causes) > 0 {
		causes := e.Causes
		if len(causes) > 1 {
			here := pointer(e.InstanceLocation)
			var matched []*jsonschema.ValidationError
			var got any
			for _, c := range causes {
				if v, ok := typeMismatch(c, here+"/type"); ok {
					got = v
					continue
				}
				matched = append(matched, c)
			}
			if len(matched) == 0 && got != nil {
				return fmt.Errorf("adaptive card: at %s/type: %s is not a type Adaptive Cards 1.5 knows here", here, quoteAny(got))
			}
			if len(matched) > 0 {
				causes = matched
			}
		}
		e = deepest(causes)
	}
	msg := (&jsonschema.ValidationError{InstanceLocation: e.InstanceLocation, ErrorKind: e.ErrorKind}).Error()
	// The library says "at '/ptr': what"; keep the house form.
	if _, what, ok := strings.Cut(msg, "': "); ok {
		msg = what
	}
	return fmt.Errorf("adaptive card: at %s: %s", pointer(e.InstanceLocation), msg)
}

// typeMismatch reports whether e holds the failure of a "type" enum at
// loc: the branch was for another element type.
func typeMismatch(e *jsonschema.ValidationError, loc string) (any, bool) {
	if k, ok := e.ErrorKind.(*kind.Enum); ok && pointer(e.InstanceLocation) == loc {
		return k.Got, true
	}
	for _, c := range e.Causes {
		if v, ok := typeMismatch(c, loc); ok {
			return v, true
		}
	}
	return nil, false
}

// deepest picks the cause that got furthest into the card: its failure
// is the most specific.
func deepest(causes []*jsonschema.ValidationError) *jsonschema.ValidationError {
	best, depth := causes[0], -1
	for _, c := range causes {
		if d := maxDepth(c); d > depth {
			best, depth = c, d
		}
	}
	return best
}

func maxDepth(e *jsonschema.ValidationError) int {
	d := len(e.InstanceLocation)
	for _, c := range e.Causes {
		d = max(d, maxDepth(c))
	}
	return d
}

func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}

// teamsWalk holds what checkTeams gathers in one pass.
type teamsWalk struct {
	ids   map[string]string // input id → where it first appeared
	data  map[string]string // a key of an Action.Execute's data → where
	texts []string          // what the card shows as text: where a mention must appear
	err   error
}

// checkTeams applies what Teams enforces and the schema does not say.
func checkTeams(root map[string]any) error {
	w := &teamsWalk{ids: map[string]string{}, data: map[string]string{}}
	w.walk(root, "")
	if w.err != nil {
		return w.err
	}
	// Teams merges the inputs into the pressed action's data by id: an
	// input named like a data key would silently replace the card's value.
	for _, k := range slices.Sorted(maps.Keys(w.data)) {
		if in, clash := w.ids[k]; clash {
			return fmt.Errorf("adaptive card: at %s/id: the input id %q is also a key of the action data at %s; Teams would overwrite one with the other", in, k, w.data[k])
		}
	}
	if r, ok := root["refresh"].(map[string]any); ok {
		if ids, ok := r["userIds"].([]any); ok && len(ids) > MaxRefreshUserIDs {
			return fmt.Errorf("adaptive card: at /refresh/userIds: %d users, Teams refreshes for at most %d", len(ids), MaxRefreshUserIDs)
		}
	}
	ms, _ := root["msteams"].(map[string]any)
	ents, _ := ms["entities"].([]any)
	for i, e := range ents {
		m, _ := e.(map[string]any)
		text, _ := m["text"].(string)
		at := "/msteams/entities/" + strconv.Itoa(i) + "/text"
		if !strings.HasPrefix(text, "<at>") || !strings.HasSuffix(text, "</at>") {
			return fmt.Errorf("adaptive card: at %s: a mention's text is \"<at>name</at>\", not %q", at, text)
		}
		if !slices.ContainsFunc(w.texts, func(s string) bool { return strings.Contains(s, text) }) {
			return fmt.Errorf("adaptive card: at %s: %q appears in no text of the card, so Teams shows no mention", at, text)
		}
	}
	return nil
}

func (w *teamsWalk) walk(v any, at string) {
	if w.err != nil {
		return
	}
	switch v := v.(type) {
	case []any:
		for i, x := range v {
			w.walk(x, at+"/"+strconv.Itoa(i))
		}
	case map[string]any:
		typ, _ := v["type"].(string)
		switch {
		case typ == "Action.Execute":
			if verb, _ := v["verb"].(string); verb == "" {
				w.err = fmt.Errorf("adaptive card: at %s/verb: an Action.Execute needs a verb, or the bot cannot tell what was pressed", at)
				return
			}
			if d, ok := v["data"].(map[string]any); ok && !strings.Contains(at, "/refresh") {
				for k := range d {
					w.data[k] = at + "/data"
				}
			}
		case strings.HasPrefix(typ, "Input.") && typ != "Input.Choice":
			id, _ := v["id"].(string)
			if first, dup := w.ids[id]; dup {
				w.err = fmt.Errorf("adaptive card: at %s/id: the id %q is already used at %s; Teams merges inputs by id", at, id, first)
				return
			}
			w.ids[id] = at
		case typ == "TextBlock" || typ == "TextRun":
			s, _ := v["text"].(string)
			w.texts = append(w.texts, s)
		}
		if _, ok := v["facts"]; ok && typ == "FactSet" {
			fs, _ := v["facts"].([]any)
			for _, f := range fs {
				m, _ := f.(map[string]any)
				t, _ := m["title"].(string)
				val, _ := m["value"].(string)
				w.texts = append(w.texts, t, val)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			w.walk(v[k], at+"/"+strings.NewReplacer("~", "~0", "/", "~1").Replace(k))
		}
	}
}
