package bot

import "github.com/unlockbot/unlockbot/identity"

// The neutral message model. bot/ says what to show; adapters decide how
// (Block Kit, Adaptive Cards, a terminal transcript). Nothing here knows a
// chat platform.

// Tone colours a card where the platform can.
type Tone string

const (
	ToneInfo    Tone = "info"
	ToneGood    Tone = "good"
	ToneWarning Tone = "warning"
	ToneDanger  Tone = "danger"
)

// ActionID is the typed id carried by a button; the value is the request id.
// Buttons never carry a command string.
type ActionID string

const (
	ActionApprove ActionID = "unlockbot.approve"
	ActionDeny    ActionID = "unlockbot.deny"
	ActionRetry   ActionID = "unlockbot.retry"
	ActionReveal  ActionID = "unlockbot.reveal"
)

// Style of a button.
type Style string

const (
	StyleDefault Style = ""
	StylePrimary Style = "primary"
	StyleDanger  Style = "danger"
)

// Card is one message.
type Card struct {
	Title   string   `json:"title"`
	Text    string   `json:"text,omitempty"`
	Fields  []Field  `json:"fields,omitempty"`
	Actions []Action `json:"actions,omitempty"`
	Footer  string   `json:"footer,omitempty"`
	Tone    Tone     `json:"tone,omitempty"`
	// Secret is the password of a reveal card: the only card that holds
	// one, shown in a window only its requester sees. It marshals
	// redacted, so a card logged or stored never carries it.
	Secret identity.Secret `json:"secret,omitzero"`
	// Close labels the button that dismisses a card shown in a window.
	Close string `json:"close,omitempty"`
}

// Field is a label/value pair. A field naming a person carries the actor
// too, so a platform can show them the way it cannot fake (Slack renders a
// mention of the user id); Value then is the text fallback, which names
// the immutable id beside the editable display name.
type Field struct {
	Label  string `json:"label"`
	Value  string `json:"value"`
	Person *Actor `json:"person,omitempty"`
}

// Action is a button.
type Action struct {
	ID        ActionID `json:"id"`
	Label     string   `json:"label"`
	RequestID string   `json:"request_id"`
	Style     Style    `json:"style,omitempty"`
}

// MessageRef locates a posted message so it can be updated or replied to
// later, by any replica, after a restart: it is stored with the request
// (approval_msg), so it must hold everything the platform needs and
// nothing only one process knows.
//
// The field names stay those of the first platform so records already
// stored keep decoding; what they hold is the adapter's:
//
//	          Channel                ID                ServiceURL
//	Slack     channel id (C…)        message ts        empty
//	Teams     conversation id        activity id       Bot Framework service URL
//
// Teams answers an update only at the service URL the conversation lives
// on; the adapter records the one of an activity whose token it verified,
// and the record's MAC keeps anyone who can write the store from pointing
// the bot's token somewhere else.
type MessageRef struct {
	Channel    string `json:"channel"`
	ID         string `json:"id"`
	ServiceURL string `json:"service_url,omitempty"` // empty where the platform has one endpoint
	// Link opens the message in the platform's client, for the ticket
	// note (the chat permalink); empty where the adapter cannot make one.
	Link string `json:"link,omitempty"`
}
