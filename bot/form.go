package bot

// FieldID names a field of the request form. Adapters use these ids as
// block/input ids so validation errors land next to the right field.
type FieldID string

const (
	FieldOrg       FieldID = "org"
	FieldMode      FieldID = "mode"
	FieldTicket    FieldID = "ticket"
	FieldAccount   FieldID = "account"
	FieldPassword  FieldID = "password"
	FieldTemporary FieldID = "temporary"
	FieldNote      FieldID = "note_password"
	FieldReason    FieldID = "reason"
)

// formOrder is the order fields appear in, used to pick the first error.
var formOrder = []FieldID{FieldOrg, FieldMode, FieldTicket, FieldAccount, FieldPassword, FieldTemporary, FieldNote, FieldReason}

// FieldKind tells the adapter which widget to render.
type FieldKind string

const (
	KindSelect     FieldKind = "select"      // fixed options
	KindTypeahead  FieldKind = "typeahead"   // options fetched per keystroke (Slack external_select)
	KindText       FieldKind = "text"        // one line
	KindSecretText FieldKind = "secret_text" // one line, a password: never echoed back or logged
	KindLongText   FieldKind = "long_text"
	KindCheckbox   FieldKind = "checkbox"
)

// Option is a choice in a select or type-ahead.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
	Hint  string `json:"hint,omitempty"`
}

// FormField is one input.
type FormField struct {
	ID       FieldID   `json:"id"`
	Label    string    `json:"label"`
	Kind     FieldKind `json:"kind"`
	Hint     string    `json:"hint,omitempty"`
	Optional bool      `json:"optional,omitempty"`
	Options  []Option  `json:"options,omitempty"`
	Initial  *Option   `json:"initial,omitempty"` // preselected option or prefilled text (Value)
	Checked  bool      `json:"checked,omitempty"`
	MinQuery int       `json:"min_query,omitempty"` // type-ahead: characters before the first query
	// Live asks the platform to report a change of this field at once, so
	// the form can show what the choice means (the account's facts).
	Live bool `json:"live,omitempty"`
}

// Form is the request form.
type Form struct {
	Title  string      `json:"title"`
	Submit string      `json:"submit"`
	Fields []FormField `json:"fields"`
}
