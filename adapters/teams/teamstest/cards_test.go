package teamstest

import (
	"fmt"
	"strings"
	"testing"
)

// validCard uses what the adapter renders: a mention, a FactSet, a
// typeahead with Data.Query, inputs, Action.Execute and a refresh.
const validCard = `{
  "type": "AdaptiveCard", "version": "1.5",
  "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
  "msteams": {"width": "Full", "entities": [{"type": "mention", "text": "<at>Tess Tech</at>", "mentioned": {"id": "00000000-0000-0000-0000-0000000000aa", "name": "Tess Tech"}}]},
  "refresh": {"action": {"type": "Action.Execute", "verb": "unlockbot.refresh", "data": {"request": "r1"}}, "userIds": ["29:1abc"]},
  "body": [
    {"type": "Container", "style": "warning", "items": [
      {"type": "TextBlock", "text": "Unlock request", "weight": "Bolder", "size": "Medium", "wrap": true},
      {"type": "FactSet", "facts": [{"title": "Requested by", "value": "<at>Tess Tech</at>"}]}
    ]},
    {"type": "Input.ChoiceSet", "id": "account", "label": "Account", "style": "filtered", "isRequired": true,
     "choices": [{"title": "alice", "value": "alice"}], "value": "alice",
     "choices.data": {"type": "Data.Query", "dataset": "account", "associatedInputs": "auto"}},
    {"type": "Input.Text", "id": "password", "style": "password", "label": "New password"},
    {"type": "Input.Toggle", "id": "temporary", "title": "Temporary", "valueOn": "true", "valueOff": "false"},
    {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": "a*b_c", "fontType": "Monospace"}]}
  ],
  "actions": [{"type": "Action.Execute", "verb": "unlockbot.submit", "title": "Submit", "style": "positive", "associatedInputs": "auto", "data": {"form": "f"}}]
}`

func TestValidateCardAcceptsWhatTeamsRenders(t *testing.T) {
	if err := ValidateCard([]byte(validCard)); err != nil {
		t.Fatal(err)
	}
	minimal := `{"type":"AdaptiveCard","version":"1.0","body":[{"type":"TextBlock","text":"hi"}]}`
	if err := ValidateCard([]byte(minimal)); err != nil {
		t.Fatal(err)
	}
}

// Each case breaks the valid card in one way; the error must name the
// JSON pointer of the break.
func TestValidateCardRefuses(t *testing.T) {
	big := `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"` + strings.Repeat("x", MaxCardBytes) + `"}]}`
	var many []string
	for i := range MaxRefreshUserIDs + 1 {
		many = append(many, fmt.Sprintf(`"29:%d"`, i))
	}
	cases := []struct {
		name, old, new, want string
	}{
		{"unknown element type", `{"type": "Input.Text", "id": "password"`, `{"type": "Input.Password", "id": "password"`, `/body/2/type: "Input.Password" is not a type`},
		{"unknown action type", `"type": "Action.Execute", "verb": "unlockbot.submit"`, `"type": "Action.Run", "verb": "unlockbot.submit"`, `/actions/0/type: "Action.Run"`},
		{"missing verb", `"verb": "unlockbot.submit", `, ``, `/actions/0/verb: an Action.Execute needs a verb`},
		{"empty verb in the refresh", `"verb": "unlockbot.refresh"`, `"verb": ""`, `/refresh/action/verb`},
		{"version 1.6", `"version": "1.5"`, `"version": "1.6"`, `/version: "1.6" is newer than 1.5`},
		{"no version", `"version": "1.5",`, ``, `/version: missing`},
		{"not a card", `"type": "AdaptiveCard"`, `"type": "Card"`, `/type: "Card"`},
		{"duplicate ids", `"id": "password"`, `"id": "account"`, `/body/2/id: the id "account" is already used at /body/1`},
		{"bad property type", `"wrap": true`, `"wrap": "yes"`, `/body/0/items/0/wrap: got string, want boolean`},
		{"unknown property", `"isRequired": true,`, `"required": true,`, `/body/1: additional properties 'required' not allowed`},
		{"bad style", `"style": "positive"`, `"style": "primary"`, `/actions/0/style`},
		{"Data.Query without dataset", `"dataset": "account", `, ``, `/body/1/choices.data: missing property 'dataset'`},
		// The overlay extends Input.ChoiceSet only.
		{"filtered on a text input", `"style": "password"`, `"style": "filtered"`, `/body/2/style`},
		{"unknown msteams option", `"width": "Full"`, `"width": "Full", "colour": "red"`, `/msteams: additional properties 'colour' not allowed`},
		{"mention not shown", `"value": "<at>Tess Tech</at>"`, `"value": "Tess Tech"`, `/msteams/entities/0/text: "<at>Tess Tech</at>" appears in no text`},
		{"input named like a data key", `"id": "password"`, `"id": "form"`, `the input id "form" is also a key of the action data at /actions/0/data`},
		{"too many refresh users", `"userIds": ["29:1abc"]`, `"userIds": [` + strings.Join(many, ",") + `]`, `/refresh/userIds: 61 users`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			card := strings.Replace(validCard, c.old, c.new, 1)
			if card == validCard {
				t.Fatalf("the case does not change the card: %q not found", c.old)
			}
			err := ValidateCard([]byte(card))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			t.Log(err)
			if strings.Count(err.Error(), "\n") > 0 {
				t.Fatalf("want one sentence, got %q", err)
			}
		})
	}
	if err := ValidateCard([]byte(big)); err == nil || !strings.Contains(err.Error(), "over Teams'") {
		t.Fatalf("oversized card: %v", err)
	}
	for _, junk := range []string{``, `[]`, `{"type":"AdaptiveCard"`, `"x"`} {
		if err := ValidateCard([]byte(junk)); err == nil {
			t.Fatalf("%q accepted", junk)
		}
	}
}
