package teams

// The Adaptive Card elements the adapter draws, as Go types so a card
// marshals in a fixed field order (golden files stay stable) and a typo
// is a compile error. Only what the renderers use is here; the strict
// schema in teamstest catches anything Teams would not draw.

const (
	cardSchema  = "http://adaptivecards.io/schemas/adaptive-card.json"
	cardVersion = "1.5" // the newest version Teams renders
)

type adaptiveCard struct {
	Type    string    `json:"type"`
	Schema  string    `json:"$schema"`
	Version string    `json:"version"`
	Refresh *refresh  `json:"refresh,omitempty"`
	Body    []any     `json:"body"`
	Actions []execute `json:"actions,omitempty"`
	MSTeams msteams   `json:"msteams"`
}

// msteams is Teams' own part of a card: full width (approval cards carry
// a dozen facts) and the mentions the text shows.
type msteams struct {
	Width    string    `json:"width"`
	Entities []mention `json:"entities,omitempty"`
}

type mention struct {
	Type      string    `json:"type"` // "mention"
	Text      string    `json:"text"` // "<at>Name</at>", as it appears in the card
	Mentioned mentioned `json:"mentioned"`
}

type mentioned struct {
	ID   string `json:"id"` // Entra object id
	Name string `json:"name"`
}

type refresh struct {
	Action  execute  `json:"action"`
	UserIDs []string `json:"userIds,omitempty"`
}

// execute is Action.Execute, the universal action: Teams answers it with
// an adaptiveCard/action invoke that the bot answers synchronously.
type execute struct {
	Type             string `json:"type"` // "Action.Execute"
	Verb             string `json:"verb"`
	Title            string `json:"title,omitempty"`
	Style            string `json:"style,omitempty"`
	Data             any    `json:"data,omitempty"`
	AssociatedInputs string `json:"associatedInputs,omitempty"`
}

type textBlock struct {
	Type     string `json:"type"` // "TextBlock"
	Text     string `json:"text"`
	Wrap     bool   `json:"wrap"`
	Style    string `json:"style,omitempty"`
	Weight   string `json:"weight,omitempty"`
	Size     string `json:"size,omitempty"`
	Color    string `json:"color,omitempty"`
	IsSubtle bool   `json:"isSubtle,omitempty"`
	Spacing  string `json:"spacing,omitempty"`
}

// richText holds text runs, which Adaptive Cards never read as markdown:
// the password is shown in one, so every character of it is literal.
type richText struct {
	Type    string    `json:"type"` // "RichTextBlock"
	Inlines []textRun `json:"inlines"`
}

type textRun struct {
	Type     string `json:"type"` // "TextRun"
	Text     string `json:"text"`
	FontType string `json:"fontType,omitempty"`
	Size     string `json:"size,omitempty"`
}

type container struct {
	Type    string `json:"type"` // "Container"
	Style   string `json:"style,omitempty"`
	Spacing string `json:"spacing,omitempty"`
	Items   []any  `json:"items"`
}

type factSet struct {
	Type  string `json:"type"` // "FactSet"
	Facts []fact `json:"facts"`
}

type fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

type choiceSet struct {
	Type         string     `json:"type"` // "Input.ChoiceSet"
	ID           string     `json:"id"`
	Label        string     `json:"label,omitempty"`
	IsRequired   bool       `json:"isRequired,omitempty"`
	ErrorMessage string     `json:"errorMessage,omitempty"`
	Style        string     `json:"style"`
	Placeholder  string     `json:"placeholder,omitempty"`
	Value        string     `json:"value,omitempty"`
	Choices      []choice   `json:"choices"`
	Data         *dataQuery `json:"choices.data,omitempty"`
	Wrap         bool       `json:"wrap,omitempty"`
}

type choice struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// dataQuery makes a ChoiceSet a type-ahead: Teams sends an
// application/search invoke naming the dataset, with the card's other
// inputs (associatedInputs "auto") so the bot knows the org picked.
type dataQuery struct {
	Type             string `json:"type"` // "Data.Query"
	Dataset          string `json:"dataset"`
	AssociatedInputs string `json:"associatedInputs,omitempty"`
}

type textInput struct {
	Type         string `json:"type"` // "Input.Text"
	ID           string `json:"id"`
	Label        string `json:"label,omitempty"`
	IsRequired   bool   `json:"isRequired,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	Style        string `json:"style,omitempty"`
	IsMultiline  bool   `json:"isMultiline,omitempty"`
	MaxLength    int    `json:"maxLength,omitempty"`
	Placeholder  string `json:"placeholder,omitempty"`
	Value        string `json:"value,omitempty"`
}

type toggle struct {
	Type     string `json:"type"` // "Input.Toggle"
	ID       string `json:"id"`
	Label    string `json:"label,omitempty"`
	Title    string `json:"title"`
	Value    string `json:"value"`
	ValueOn  string `json:"valueOn"`
	ValueOff string `json:"valueOff"`
	Wrap     bool   `json:"wrap"`
}
