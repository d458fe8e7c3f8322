package teams

import (
	"errors"
	"fmt"

	"github.com/unlockbot/unlockbot/bot"
)

// actionData is what an Action.Execute invoke carries back: the verb, the
// data the card put on the action, and the form's inputs, which Teams
// merges into the same data object by input id. None of it is trusted:
// the request id, form and context are checked by bot/ against the store,
// and Where is what the card said, not where the click happened.
type actionData struct {
	Verb    string
	Request string // data.request: the request a button is for
	Form    bot.FormID
	Context string
	Where   string
	Values  bot.FormValues
}

// maxFieldID bounds the keys read as inputs: bot's ids are short.
const maxFieldID = 64

// Keys the cards put in an action's data themselves.
const (
	keyRequest = "request"
	keyForm    = "form"
	keyContext = "context"
	keyWhere   = "where"
)

// readAction reads an adaptiveCard/action invoke's value:
// {"action":{"type":"Action.Execute","verb":…,"data":{…}},"trigger":…}.
// Errors name what is wrong, never a value (one may be a password).
func readAction(value map[string]any) (actionData, error) {
	act, ok := value["action"].(map[string]any)
	if !ok {
		return actionData{}, errors.New("the card action carries no action object")
	}
	if t, _ := act["type"].(string); t != "Action.Execute" {
		return actionData{}, errors.New("the card action is not an Action.Execute")
	}
	verb, _ := act["verb"].(string)
	if verb == "" {
		return actionData{}, errors.New("the card action has no verb")
	}
	out := actionData{Verb: verb}
	var data map[string]any
	switch d := act["data"].(type) {
	case nil:
		return out, nil
	case map[string]any:
		data = d
	default:
		return actionData{}, errors.New("the card action's data is not an object")
	}
	str := func(key string) (string, error) {
		switch v := data[key].(type) {
		case nil:
			return "", nil
		case string:
			return v, nil
		}
		return "", fmt.Errorf("the card action's %q is not text", key)
	}
	// The keys in a fixed order: the first that is not text is named.
	var err error
	var form string
	if out.Request, err = str(keyRequest); err != nil {
		return actionData{}, err
	}
	if form, err = str(keyForm); err != nil {
		return actionData{}, err
	}
	if out.Context, err = str(keyContext); err != nil {
		return actionData{}, err
	}
	if out.Where, err = str(keyWhere); err != nil {
		return actionData{}, err
	}
	out.Form = bot.FormID(form)
	// Every other key is an input, by field id. bot.ParseRequest reads
	// only the fields it defines, so a key the form never had is ignored
	// there, not trusted here.
	for key, v := range data {
		if key == keyRequest || key == keyForm || key == keyContext || key == keyWhere || len(key) > maxFieldID {
			continue
		}
		s, ok := v.(string) // ChoiceSet, Text and Toggle values are all strings
		if !ok {
			continue // not an input (Teams adds objects of its own, such as msteams)
		}
		if out.Values == nil {
			out.Values = bot.FormValues{}
		}
		out.Values[bot.FieldID(key)] = s
	}
	return out, nil
}
