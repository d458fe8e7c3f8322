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
	// FieldDenyReason is the one field of the deny form.
	FieldDenyReason FieldID = "deny_reason"
)

// FormID names a form, so its submission comes back to the right handler.
type FormID string

const (
	FormRequest FormID = "unlockbot.request" // the unlock/reset request
	FormDeny    FormID = "unlockbot.deny"    // the reason for a denial
)

// formOrder is the order fields appear in, used to pick the first error.
var formOrder = []FieldID{FieldOrg, FieldMode, FieldTicket, FieldAccount, FieldPassword, FieldTemporary, FieldNote, FieldReason}

// Widget tells the adapter which widget to render.
type Widget string

const (
	WidgetSelect    Widget = "select"      // fixed options
	WidgetTypeahead Widget = "typeahead"   // options fetched per keystroke (Slack external_select)
	WidgetText      Widget = "text"        // one line
	WidgetSecret    Widget = "secret_text" // one line, a password: never echoed back or logged
	WidgetLongText  Widget = "long_text"
	WidgetCheckbox  Widget = "checkbox"
)

// Option is a choice in a select or type-ahead.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
	Hint  string `json:"hint,omitempty"`
}

// FormField is one input.
type FormField struct {
	ID       FieldID  `json:"id"`
	Label    string   `json:"label"`
	Widget   Widget   `json:"widget"`
	Hint     string   `json:"hint,omitempty"`
	Optional bool     `json:"optional,omitempty"`
	Options  []Option `json:"options,omitempty"`
	Initial  *Option  `json:"initial,omitempty"` // preselected option or prefilled text (Value)
	Checked  bool     `json:"checked,omitempty"`
	// Heading is the short title above a checkbox, whose Label is the
	// sentence beside the box.
	Heading     string `json:"heading,omitempty"`
	Placeholder string `json:"placeholder,omitempty"` // example text inside an empty field
	MinQuery    int    `json:"min_query,omitempty"`   // type-ahead: characters before the first query
	// Live asks the platform to report a change of this field at once, so
	// the form can show what the choice means (the account's facts).
	Live bool `json:"live,omitempty"`
}

// Form is a form the platform shows: the request form or the deny
// reason. Context goes out with the form and comes back with its answer
// (the request a denial is for); it is not secret and not trusted.
type Form struct {
	ID      FormID      `json:"id"`
	Title   string      `json:"title"`
	Submit  string      `json:"submit"`
	Cancel  string      `json:"cancel"`
	Context string      `json:"context,omitempty"`
	Fields  []FormField `json:"fields"`
}

// Prefilled returns the org and account the form opens with ("/unlock
// alice" in an org's channel), so the platform can show the account's
// facts at once, as if it had been picked.
func (f Form) Prefilled() (org, account string) {
	for _, fd := range f.Fields {
		if fd.Initial == nil {
			continue
		}
		switch fd.ID {
		case FieldOrg:
			org = fd.Initial.Value
		case FieldAccount:
			account = fd.Initial.Value
		}
	}
	return org, account
}
