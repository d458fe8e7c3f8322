package teams

import (
	"encoding/json"

	"github.com/unlockbot/unlockbot/bot"
)

// STUB: replaced by card*.go.

// messageCard renders a neutral card (buttons as Action.Execute).
func messageCard(c bot.Card) json.RawMessage { return nil }

// approvalCard is the approval card as the channel sees it: no buttons,
// the status, and a refresh for approverMRIs that answers with messageCard.
func approvalCard(c bot.Card, approverMRIs []string) json.RawMessage { return nil }

// sentenceCard is one sentence.
func sentenceCard(text string) json.RawMessage { return nil }

// windowCard is a card shown to one person (the reveal), Close as a button.
func windowCard(c bot.Card) json.RawMessage { return nil }

// formCard renders a form with the values typed so far (never secrets),
// the errors beside their fields and, optionally, the facts of the picked
// account.
func formCard(f bot.Form, where string, values bot.FormValues, errs map[bot.FieldID]string, facts *bot.Card) json.RawMessage {
	return nil
}

// actionData is what an Action.Execute invoke carries back.
type actionData struct {
	Verb    string
	Request string
	Form    bot.FormID
	Context string
	Where   string
	Values  bot.FormValues
}

// readAction reads an adaptiveCard/action invoke's value.
func readAction(value map[string]any) (actionData, error) { return actionData{}, nil }

// invokeResponse is the body of an answer to an invoke.
type invokeResponse struct {
	StatusCode int    `json:"statusCode"`
	Type       string `json:"type"`
	Value      any    `json:"value,omitempty"`
}

func cardAnswer(card json.RawMessage) invokeResponse { return invokeResponse{} }
func messageAnswer(text string) invokeResponse       { return invokeResponse{} }
func searchAnswer(opts []bot.Option) invokeResponse  { return invokeResponse{} }

// Verbs of the Action.Execute actions the cards carry besides the bot's
// own action ids.
const (
	verbRefresh = "unlockbot.refresh"
	verbSubmit  = "unlockbot.submit"
	verbCancel  = "unlockbot.cancel"
	verbClose   = "unlockbot.close"
)
