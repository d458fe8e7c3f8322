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

// knownFields are the field ids a submit may carry (bot's form order and
// the deny reason). Any other key in the data is ignored, so a crafted
// invoke cannot smuggle in a field the form never had.
var knownFields = map[string]bot.FieldID{}

func init() {
	for _, f := range []bot.FieldID{bot.FieldOrg, bot.FieldMode, bot.FieldTicket, bot.FieldAccount, bot.FieldPassword,
		bot.FieldTemporary, bot.FieldNote, bot.FieldReason, bot.FieldDenyReason} {
		knownFields[string(f)] = f
	}
}

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
	var err error
	var form string
	for key, dst := range map[string]*string{keyRequest: &out.Request, keyForm: &form, keyContext: &out.Context, keyWhere: &out.Where} {
		if *dst, err = str(key); err != nil {
			return actionData{}, err
		}
	}
	out.Form = bot.FormID(form)
	for key, v := range data {
		f, ok := knownFields[key]
		if !ok {
			continue
		}
		s, ok := v.(string) // ChoiceSet, Text and Toggle values are all strings
		if !ok {
			return actionData{}, fmt.Errorf("the form field %q is not text", key)
		}
		if out.Values == nil {
			out.Values = bot.FormValues{}
		}
		out.Values[f] = s
	}
	return out, nil
}
