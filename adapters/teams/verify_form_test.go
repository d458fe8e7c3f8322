package teams

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot"
)

// TestVerifyFormCardsGolden draws the verification forms: the
// personal-data form as its button opens it, and what a Submit answers
// when the answer is wrong: the same form again (facts, or the code form,
// never the request form), the sentence under its field, and nothing typed
// or expected in the card.
func TestVerifyFormCardsGolden(t *testing.T) {
	e := newRenderEnvVerifying(t, bot.VerifyPolicy{Required: []bot.VerifyMethod{bot.VerifyPersonalData}, Offered: []bot.VerifyMethod{bot.VerifyEmailCode},
		PersonalData: []bot.PersonalFact{{Label: "Employee ID", Attribute: "employeeID"}, {Label: "Mobile", Attribute: "mobile", LastDigits: 4}}})
	ctx := t.Context()
	id := e.submit(t, "Called back on the HR number")
	a := &Adapter{svc: e.svc, log: zerolog.Nop()}

	opened := e.svc.Click(ctx, bot.Click{Action: bot.ActionVerifyFacts, RequestID: id, Actor: renderTech, Where: renderChan})
	if opened.Form == nil {
		t.Fatalf("Check personal data opened no form: %+v", opened)
	}
	golden(t, "verify_facts_form", formCard(*opened.Form, renderChan, nil, nil, nil), id)

	typed := bot.FormValues{"verify_fact_0": "E-4712", "verify_fact_1": "1234"}
	facts := answerCard(t, a.submit(ctx, actionData{Verb: verbSubmit, Form: bot.FormVerifyFacts, Context: id, Where: renderChan, Values: typed}, renderTech, renderChan))
	golden(t, "verify_facts_errors", facts, id)
	mustHold(t, facts, `"form":"unlockbot.verify_facts"`, "does not match. 2 tries left", `"id":"verify_fact_1"`)
	for _, v := range []string{"E-4712", "1234", renderEmployeeID, renderMobileEnd} {
		if bytes.Contains(facts, []byte(v)) {
			t.Errorf("the facts form drawn again holds %q", v)
		}
	}

	code := answerCard(t, a.submit(ctx, actionData{Verb: verbSubmit, Form: bot.FormVerifyCode, Context: id, Where: renderChan, Values: bot.FormValues{bot.FieldCode: "424242"}}, renderTech, renderChan))
	golden(t, "verify_code_errors", code, id)
	mustHold(t, code, `"form":"unlockbot.verify_code"`, "No code is waiting")
	if bytes.Contains(code, []byte("424242")) || bytes.Contains(code, []byte(`"id":"account"`)) {
		t.Errorf("the code form came back with the code typed, or as the request form: %s", code)
	}
}

// answerCard is the card an invoke answered with; it fails on a sentence.
func answerCard(t *testing.T, r invokeResponse) json.RawMessage {
	t.Helper()
	card, ok := r.Value.(json.RawMessage)
	if !ok {
		t.Fatalf("answered %s %v, want a card", r.Type, r.Value)
	}
	return card
}

func mustHold(t *testing.T, card json.RawMessage, want ...string) {
	t.Helper()
	for _, w := range want {
		if !bytes.Contains(card, []byte(w)) {
			t.Errorf("the card lacks %s: %s", w, card)
		}
	}
}
