package teamstest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Microsoft's Adaptive Cards 1.5 schema, vendored unchanged (see
// testdata/SOURCE.md). It is strict: no unknown element types, no unknown
// properties, so a typo in a renderer fails here rather than as a card
// Teams silently draws half of.
//
//go:embed testdata/adaptive-card-1.5.json
var schema15 []byte

// What Teams accepts beyond the schema's own rules.
const (
	// MaxCardBytes is the size Teams refuses a message over (about 28 KB
	// for the whole activity); a card alone over it can never be posted.
	MaxCardBytes = 28 * 1024
	// MaxRefreshUserIDs is how many users Teams refreshes a card for
	// automatically; it ignores a longer refresh.userIds.
	MaxRefreshUserIDs = 60
	// maxVersion is the newest Adaptive Cards version Teams renders.
	maxMajor, maxMinor = 1, 5
)

// schemaURL names the vendored schema inside the compiler; it is never
// fetched (the compiler has no loader for it).
const schemaURL = "http://adaptivecards.io/schemas/1.5.0/adaptive-card.json"

var compiled = sync.OnceValues(compileSchema)

// teamsOverlay adds to Microsoft's 1.5 schema the host extensions Teams
// documents for 1.5 cards, and nothing else. The schema's README asks
// exactly this of hosts ("add the known extension properties to a test
// allowlist of your own") because the schema is strict:
//
//   - AdaptiveCard.msteams: Teams' card options, "width":"Full" and the
//     mention entities ("msteams.entities", Teams' "user mention in
//     Adaptive Cards"). Only those two keys, mentions fully spelled out.
//   - Input.ChoiceSet "choices.data" (a Data.Query) and the style
//     "filtered": Teams' typeahead search, which Teams documents as
//     additions to Input.ChoiceSet and uses in 1.5 cards. The definitions
//     are Microsoft's own from the 1.6 schema, plus Data.Query's
//     "associatedInputs" that the Teams page lists (it makes the search
//     invoke carry the card's other inputs, the picked org).
//
// Every other definition is Microsoft's 1.5 text, so the overlay cannot
// loosen what it does not name.
func teamsOverlay(defs map[string]any) error {
	def := func(name string) (map[string]any, error) {
		d, ok := defs[name].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("the vendored schema has no definition %q to extend", name)
		}
		return d, nil
	}
	props := func(d map[string]any) map[string]any { p, _ := d["properties"].(map[string]any); return p }

	card, err := def("AdaptiveCard")
	if err != nil {
		return err
	}
	str := map[string]any{"type": "string"}
	props(card)["msteams"] = map[string]any{
		"type": "object", "additionalProperties": false,
		"properties": map[string]any{
			"width": map[string]any{"enum": []any{"Full"}},
			"entities": map[string]any{"type": "array", "items": map[string]any{
				"type": "object", "additionalProperties": false, "required": []any{"type", "text", "mentioned"},
				"properties": map[string]any{
					"type": map[string]any{"enum": []any{"mention"}},
					"text": str,
					"mentioned": map[string]any{
						"type": "object", "additionalProperties": false, "required": []any{"id", "name"},
						"properties": map[string]any{"id": str, "name": str},
					},
				},
			}},
		},
	}

	defs["Data.Query"] = map[string]any{
		"type": "object", "additionalProperties": false, "required": []any{"dataset"},
		"properties": map[string]any{
			"type":             map[string]any{"enum": []any{"Data.Query"}},
			"dataset":          str,
			"count":            map[string]any{"type": "number"},
			"skip":             map[string]any{"type": "number"},
			"associatedInputs": map[string]any{"$ref": "#/definitions/AssociatedInputs"},
		},
	}
	cs, err := def("Input.ChoiceSet")
	if err != nil {
		return err
	}
	props(cs)["choices.data"] = map[string]any{"$ref": "#/definitions/Data.Query"}
	style, err := def("ChoiceInputStyle")
	if err != nil {
		return err
	}
	style["anyOf"] = []any{ // the 1.6 definition, verbatim
		map[string]any{"enum": []any{"compact", "expanded", "filtered"}},
		map[string]any{"pattern": "^([c|C][o|O][m|M][p|P][a|A][c|C][t|T])|([e|E][x|X][p|P][a|A][n|N][d|D][e|E][d|D])|([f|F][i|I][l|L][t|T][e|E][r|R][e|E][d|D])$"},
	}
	return nil
}

func compileSchema() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema15))
	if err != nil {
		return nil, fmt.Errorf("the vendored Adaptive Cards schema is not JSON: %w", err)
	}
	root, _ := doc.(map[string]any)
	if root["$schema"] != "http://json-schema.org/draft-06/schema#" {
		return nil, fmt.Errorf("the vendored Adaptive Cards schema declares %v, not draft-06", root["$schema"])
	}
	defs, _ := root["definitions"].(map[string]any)
	if err := teamsOverlay(defs); err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft6)
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(schemaURL)
}

// ValidateCard checks an Adaptive Card's JSON against Microsoft's 1.5
// schema (with Teams' documented extensions) and the rules Teams adds:
// an AdaptiveCard of version ≤ 1.5, a verb on every Action.Execute,
// unique input ids, mentions the text shows, at most 60 refresh users and
// 28 KiB. nil means Teams would render it; otherwise one error names the
// JSON pointer that fails.
func ValidateCard(card []byte) error {
	if len(card) > MaxCardBytes {
		return fmt.Errorf("adaptive card: %d bytes, over Teams' %d", len(card), MaxCardBytes)
	}
	sch, err := compiled()
	if err != nil {
		return fmt.Errorf("adaptive card schema: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(card))
	if err != nil {
		return fmt.Errorf("adaptive card: not JSON: %w", err)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return errors.New("adaptive card: at /: not an object")
	}
	if root["type"] != "AdaptiveCard" {
		return fmt.Errorf("adaptive card: at /type: %v, want \"AdaptiveCard\"", quoteAny(root["type"]))
	}
	if err := checkVersion(root["version"]); err != nil {
		return err
	}
	if err := sch.Validate(doc); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return explain(ve)
		}
		return fmt.Errorf("adaptive card: %w", err)
	}
	return checkTeams(root)
}

func checkVersion(v any) error {
	s, ok := v.(string)
	if !ok {
		return errors.New(`adaptive card: at /version: missing; Teams needs "version" on the card`)
	}
	major, minor, ok := strings.Cut(s, ".")
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if !ok || err1 != nil || err2 != nil {
		return fmt.Errorf("adaptive card: at /version: %q is not a version like \"1.5\"", s)
	}
	if ma > maxMajor || (ma == maxMajor && mi > maxMinor) {
		return fmt.Errorf("adaptive card: at /version: %q is newer than 1.5, the newest Teams renders", s)
	}
	return nil
}

func quoteAny(v any) string {
	if v == nil {
		return "missing"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
