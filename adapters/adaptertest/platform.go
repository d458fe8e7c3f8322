package adaptertest

import (
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/bot"
)

// User is a role, not an account: each driver maps it to a person of its
// platform whom the Bindings give that role.
type User string

const (
	// Technician may ask for resets, not approve them.
	Technician User = "technician"
	// Approver may approve (and, being a technician too, ask: which is how
	// the two-person rule is tested).
	Approver User = "approver"
	// Outsider has no role in the org.
	Outsider User = "outsider"
)

// Platform drives one adapter through its strict fake, on the wire: every
// method sends what the platform would send (signed, as the platform signs
// it) or reads what the fake received. Methods fail t on anything the
// driver cannot make sense of, so a broken rendering fails loudly here.
type Platform interface {
	// Command runs the unlock command with text after it and returns the
	// form the adapter opened for u.
	Command(t *testing.T, u User, text string) Form
	// Submit fills in f (a checkbox is ticked by any non-empty value,
	// fields left out are empty) and sends it. It returns the errors the
	// platform shows next to fields; nil means the form was accepted.
	Submit(t *testing.T, u User, f Form, values map[bot.FieldID]string) map[bot.FieldID]string
	// Click presses the button of msg with that action. It returns the form
	// the click opened for u (the reason to deny), or nil. It returns once
	// the platform has the adapter's answer, not when the work the click
	// started is done (that is Wait): a scenario looks at what was answered
	// while the reset still runs. It may run on several goroutines at once
	// (a double click), so it reports with t.Error, never t.Fatal.
	Click(t *testing.T, u User, msg Message, action bot.ActionID) *Form
	// Wait returns when the work the adapter started after answering the
	// platform has finished. Reads below are only meaningful after it.
	Wait(t *testing.T)
	// Approvals are the cards in the approval channel, oldest first, in
	// their latest state, each with the replies in its thread.
	Approvals(t *testing.T) []Message
	// Private is what u alone was shown (direct messages, messages only
	// they see, windows opened for them), oldest first.
	Private(t *testing.T, u User) []Message
	// Sent is every body the adapter sent to the platform: its API calls
	// and its answers to the platform's requests, as bytes on the wire.
	Sent(t *testing.T) []string
}

// Form is a form as the platform shows it.
type Form struct {
	Title  string
	Inputs []Input
	// Ref is the driver's handle for Submit (a view id, a card id).
	Ref string
}

// Input is one field of a form. ID is the bot.FieldID the adapter gave it;
// a form bot/ does not define (the reason to deny) has ids of the
// adapter's choosing, which the suite does not rely on.
type Input struct {
	ID      bot.FieldID
	Label   string
	Initial string // the preselected option's value or the prefilled text; "true" for a ticked box
}

// Input returns the input with id, or false.
func (f Form) Input(id bot.FieldID) (Input, bool) {
	for _, in := range f.Inputs {
		if in.ID == id {
			return in, true
		}
	}
	return Input{}, false
}

// Message is a message as a person reads it: markup undone, a person
// named by their role (a driver writes "approver" where its platform
// draws that person).
type Message struct {
	Title   string
	Text    string // body text, and the footer on its own line
	Fields  []Field
	Buttons []Button
	Replies []Message // in the thread under an approval card
	// Ref is the driver's handle for Click (Slack: channel and ts).
	Ref string
}

// Field is a label and its value.
type Field struct{ Label, Value string }

// Button carries a typed action and the request it acts on, nothing else.
type Button struct {
	Action    bot.ActionID
	RequestID string
	Label     string
}

// Button returns the button with action, or false.
func (m Message) Button(action bot.ActionID) (Button, bool) {
	for _, b := range m.Buttons {
		if b.Action == action {
			return b, true
		}
	}
	return Button{}, false
}

// Field returns the value of the field labelled label ("" if none).
func (m Message) Field(label string) string {
	for _, f := range m.Fields {
		if f.Label == label {
			return f.Value
		}
	}
	return ""
}

// String is everything the message says, for "does it mention" checks.
func (m Message) String() string {
	parts := []string{m.Title, m.Text}
	for _, f := range m.Fields {
		parts = append(parts, f.Label+": "+f.Value)
	}
	for _, b := range m.Buttons {
		parts = append(parts, "["+b.Label+"]")
	}
	return strings.Join(parts, "\n")
}
