package slacktest

import (
	"fmt"
	"unicode/utf8"
)

// Slack's documented Block Kit limits, as the fake enforces them.
const (
	maxMessageBlocks = 50
	maxModalBlocks   = 100
	maxHeaderText    = 150
	maxSectionText   = 3000
	maxSectionFields = 10
	maxFieldText     = 2000
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxOptionText    = 75
	maxOptionValue   = 150
	maxOptions       = 100
	maxCheckboxes    = 10
	maxActionElems   = 25
	maxContextElems  = 10
	maxID            = 255
	maxLabel         = 2000
	maxViewTitle     = 24
	maxMetadata      = 3000
	maxPlaceholder   = 150
)

type surface int

const (
	surfaceMessage surface = iota
	surfaceModal
)

// checker collects every violation with its path, like Slack's
// response_metadata.messages.
type checker struct{ errs []string }

func (c *checker) fail(path, format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf("[ERROR] "+format+" [json-pointer:%s]", append(args, path)...))
}

func str(m map[string]any, k string) (string, bool) {
	s, ok := m[k].(string)
	return s, ok
}

func n(s string) int { return utf8.RuneCountInString(s) }

// text checks a composition text object.
func (c *checker) text(path string, v any, max int, plainOnly bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "must be a text object")
		return
	}
	typ, _ := str(m, "type")
	switch {
	case typ != "plain_text" && typ != "mrkdwn":
		c.fail(path+"/type", "must be plain_text or mrkdwn")
	case plainOnly && typ != "plain_text":
		c.fail(path+"/type", "must be plain_text")
	}
	t, _ := str(m, "text")
	if t == "" {
		c.fail(path+"/text", "must not be empty")
	}
	if n(t) > max {
		c.fail(path+"/text", "must be less than %d characters", max+1)
	}
}

func (c *checker) id(path string, m map[string]any, key string, required bool) {
	v, ok := str(m, key)
	if required && v == "" {
		c.fail(path+"/"+key, "%s is required", key)
	}
	if ok && n(v) > maxID {
		c.fail(path+"/"+key, "must be less than %d characters", maxID+1)
	}
}

func (c *checker) option(path string, v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "must be an option object")
		return "", false
	}
	c.text(path+"/text", m["text"], maxOptionText, false)
	val, _ := str(m, "value")
	if val == "" || n(val) > maxOptionValue {
		c.fail(path+"/value", "must be 1-%d characters", maxOptionValue)
	}
	if d, ok := m["description"]; ok {
		c.text(path+"/description", d, maxOptionText, true)
	}
	return val, true
}

// element checks an interactive element in an actions or input block.
func (c *checker) element(path string, v any, inInput bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "must be an element object")
		return
	}
	typ, _ := str(m, "type")
	c.id(path, m, "action_id", false)
	if p, ok := m["placeholder"]; ok {
		c.text(path+"/placeholder", p, maxPlaceholder, true)
	}
	switch typ {
	case "button":
		if inInput {
			c.fail(path+"/type", "button is not valid in an input block")
		}
		c.text(path+"/text", m["text"], maxButtonText, true)
		if val, _ := str(m, "value"); n(val) > maxButtonValue {
			c.fail(path+"/value", "must be less than %d characters", maxButtonValue+1)
		}
		if st, ok := str(m, "style"); ok && st != "primary" && st != "danger" {
			c.fail(path+"/style", "must be primary or danger")
		}
	case "static_select":
		opts, _ := m["options"].([]any)
		if len(opts) == 0 || len(opts) > maxOptions {
			c.fail(path+"/options", "must hold 1-%d options", maxOptions)
		}
		vals := map[string]bool{}
		for i, o := range opts {
			if val, ok := c.option(fmt.Sprintf("%s/options/%d", path, i), o); ok {
				vals[val] = true
			}
		}
		if io, ok := m["initial_option"]; ok {
			if val, ok := c.option(path+"/initial_option", io); ok && !vals[val] {
				c.fail(path+"/initial_option", "must be one of the options")
			}
		}
	case "external_select":
		if q, ok := m["min_query_length"].(float64); ok && q < 0 {
			c.fail(path+"/min_query_length", "must be >= 0")
		}
		if io, ok := m["initial_option"]; ok {
			c.option(path+"/initial_option", io)
		}
	case "checkboxes":
		opts, _ := m["options"].([]any)
		if len(opts) == 0 || len(opts) > maxCheckboxes {
			c.fail(path+"/options", "must hold 1-%d options", maxCheckboxes)
		}
		for i, o := range opts {
			c.option(fmt.Sprintf("%s/options/%d", path, i), o)
		}
		if ini, ok := m["initial_options"].([]any); ok {
			for i, o := range ini {
				c.option(fmt.Sprintf("%s/initial_options/%d", path, i), o)
			}
		}
	case "plain_text_input":
		if !inInput {
			c.fail(path+"/type", "plain_text_input is valid only in an input block")
		}
		if ml, ok := m["max_length"].(float64); ok && (ml < 1 || ml > 3000) {
			c.fail(path+"/max_length", "must be 1-3000")
		}
	default:
		c.fail(path+"/type", "unsupported element type %q", typ)
	}
}

// checkBlocks checks a block list for a surface and returns Slack-style
// error messages (none when valid).
func checkBlocks(blocks []any, max int, sf surface) []string {
	c := &checker{}
	if len(blocks) > max {
		c.fail("/blocks", "no more than %d items allowed", max)
	}
	ids := map[string]bool{}
	for i, b := range blocks {
		path := fmt.Sprintf("/blocks/%d", i)
		m, ok := b.(map[string]any)
		if !ok {
			c.fail(path, "must be an object")
			continue
		}
		c.id(path, m, "block_id", false)
		if id, _ := str(m, "block_id"); id != "" {
			if ids[id] {
				c.fail(path+"/block_id", "duplicate block_id %q", id)
			}
			ids[id] = true
		}
		typ, _ := str(m, "type")
		switch typ {
		case "header":
			c.text(path+"/text", m["text"], maxHeaderText, true)
		case "section":
			fields, _ := m["fields"].([]any)
			if m["text"] == nil && len(fields) == 0 {
				c.fail(path, "must have text or fields")
			}
			if m["text"] != nil {
				c.text(path+"/text", m["text"], maxSectionText, false)
			}
			if len(fields) > maxSectionFields {
				c.fail(path+"/fields", "no more than %d items allowed", maxSectionFields)
			}
			for j, f := range fields {
				c.text(fmt.Sprintf("%s/fields/%d", path, j), f, maxFieldText, false)
			}
		case "actions":
			els, _ := m["elements"].([]any)
			if len(els) == 0 || len(els) > maxActionElems {
				c.fail(path+"/elements", "must hold 1-%d elements", maxActionElems)
			}
			aids := map[string]bool{}
			for j, e := range els {
				c.element(fmt.Sprintf("%s/elements/%d", path, j), e, false)
				if em, ok := e.(map[string]any); ok {
					if aid, _ := str(em, "action_id"); aid != "" {
						if aids[aid] {
							c.fail(path, "duplicate action_id %q", aid)
						}
						aids[aid] = true
					}
				}
			}
		case "context":
			els, _ := m["elements"].([]any)
			if len(els) == 0 || len(els) > maxContextElems {
				c.fail(path+"/elements", "must hold 1-%d elements", maxContextElems)
			}
			for j, e := range els {
				c.text(fmt.Sprintf("%s/elements/%d", path, j), e, maxSectionText, false)
			}
		case "divider":
		case "input":
			if sf != surfaceModal {
				c.fail(path+"/type", "input blocks are valid only in modals")
			}
			c.text(path+"/label", m["label"], maxLabel, true)
			if h, ok := m["hint"]; ok {
				c.text(path+"/hint", h, maxLabel, true)
			}
			if m["element"] == nil {
				c.fail(path+"/element", "element is required")
			} else {
				c.element(path+"/element", m["element"], true)
			}
		default:
			c.fail(path+"/type", "unsupported block type %q", typ)
		}
	}
	return c.errs
}

// checkView checks a modal view object.
func checkView(v map[string]any) []string {
	c := &checker{}
	if t, _ := str(v, "type"); t != "modal" {
		c.fail("/view/type", "must be modal")
	}
	c.text("/view/title", v["title"], maxViewTitle, true)
	for _, k := range []string{"submit", "close"} {
		if x, ok := v[k]; ok {
			c.text("/view/"+k, x, maxViewTitle, true)
		}
	}
	c.id("/view", v, "callback_id", false)
	if pm, _ := str(v, "private_metadata"); n(pm) > maxMetadata {
		c.fail("/view/private_metadata", "must be less than %d characters", maxMetadata+1)
	}
	blocks, _ := v["blocks"].([]any)
	if len(blocks) == 0 {
		c.fail("/view/blocks", "must hold at least one block")
	}
	hasInput := false
	for _, b := range blocks {
		if m, ok := b.(map[string]any); ok && m["type"] == "input" {
			hasInput = true
		}
	}
	if hasInput && v["submit"] == nil {
		c.fail("/view/submit", "submit is required when the view has input blocks")
	}
	return append(c.errs, checkBlocks(blocks, maxModalBlocks, surfaceModal)...)
}
