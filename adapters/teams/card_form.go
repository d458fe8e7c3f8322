package teams

import (
	"encoding/json"

	"github.com/unlockbot/unlockbot/bot"
)

// Input limits, as Slack's: a password or a line is short, a reason a
// paragraph (bot/ refuses longer ones with a sentence anyway).
const (
	maxLineInput = 256
	maxLongInput = 500
)

// Checkbox values on the wire. A ticked Input.Toggle reports valueOn,
// which is bot.CheckedValue itself, so what the card sends is what
// bot.ParseRequest reads, with no table to keep in step.
const (
	toggleOn  = bot.CheckedValue
	toggleOff = "no"
)

// formCard renders a form as a card: one input per field, its id the
// bot.FieldID, so Teams merges the value into the submit's data under that
// key. values are what was typed so far (a redraw after errors); a secret
// field never gets its value back, so a typed password is never echoed
// into a card. errs are the server's sentences, each drawn right under its
// field (Adaptive Cards' errorMessage only shows on the client's own
// validation). facts, when set, is the picked account's card, under the
// account field.
//
// Submit is Action.Execute verbSubmit with data {"form","context","where"}
// and every input; Cancel is verbCancel with no inputs (so no client-side
// validation stops it). Neither key collides with a field id.
func formCard(f bot.Form, where string, values bot.FormValues, errs map[bot.FieldID]string, facts *bot.Card) json.RawMessage {
	var ms mentions
	h := title(f.Title)
	h.Style = "heading"
	items := []any{h}
	for _, fd := range f.Fields {
		in := input(fd, values)
		if in == nil {
			continue
		}
		items = append(items, in)
		if e := errs[fd.ID]; e != "" {
			t := text(e, maxError)
			t.Color, t.Spacing = "Attention", "Small"
			items = append(items, t)
		}
		if fd.Hint != "" && fd.Widget != bot.WidgetCheckbox {
			hint := text(fd.Hint, maxLabel)
			hint.IsSubtle, hint.Size, hint.Spacing = true, "Small", "None"
			items = append(items, hint)
		}
		if fd.ID == bot.FieldAccount && facts != nil {
			items = append(items, factsContainer(*facts, &ms))
		}
	}
	data := map[string]string{keyForm: string(f.ID), keyContext: f.Context, keyWhere: where}
	style := "positive"
	if f.ID == bot.FormDeny {
		style = "destructive" // its submit is the denial
	}
	acts := []execute{
		{Type: "Action.Execute", Verb: verbSubmit, Title: cut(f.Submit, maxButton), Style: style, Data: data, AssociatedInputs: "Auto"},
		{Type: "Action.Execute", Verb: verbCancel, Title: cut(f.Cancel, maxButton), Data: map[string]string{keyForm: string(f.ID), keyContext: f.Context}, AssociatedInputs: "None"},
	}
	return raw(newCard(items, acts, ms.list))
}

// input is the widget for one field, or nil for a widget Teams has no
// match for (the field is then not asked, as on Slack).
func input(fd bot.FormField, values bot.FormValues) any {
	id := string(fd.ID)
	value, typed := values[fd.ID]
	if !typed && fd.Initial != nil {
		value = fd.Initial.Value
	}
	label := cut(fd.Label, maxLabel)
	required := !fd.Optional
	var errMsg string // shown by Teams when its own check of a required input fails
	if required {
		errMsg = "This field is required."
	}
	switch fd.Widget {
	case bot.WidgetSelect:
		cs := choiceSet{Type: "Input.ChoiceSet", ID: id, Label: label, IsRequired: required, ErrorMessage: errMsg,
			Style: "compact", Placeholder: placeholder(fd, "Choose…"), Value: value, Choices: []choice{}}
		for _, o := range fd.Options {
			cs.Choices = append(cs.Choices, option(o))
		}
		return cs
	case bot.WidgetTypeahead:
		cs := choiceSet{Type: "Input.ChoiceSet", ID: id, Label: label, IsRequired: required, ErrorMessage: errMsg,
			Style: "filtered", Placeholder: placeholder(fd, "Type to search…"), Value: value, Choices: []choice{},
			Data: &dataQuery{Type: "Data.Query", Dataset: id, AssociatedInputs: "auto"}}
		// The value must be one of the choices to show: the prefilled
		// option, or what was picked before a redraw (its label is not
		// sent back, so the value stands for it).
		switch {
		case fd.Initial != nil && fd.Initial.Value == value:
			cs.Choices = append(cs.Choices, option(*fd.Initial))
		case value != "":
			cs.Choices = append(cs.Choices, choice{Title: cut(value, maxChoiceTitle), Value: value})
		}
		return cs
	case bot.WidgetText:
		return textInput{Type: "Input.Text", ID: id, Label: label, IsRequired: required, ErrorMessage: errMsg,
			MaxLength: maxLineInput, Placeholder: placeholder(fd, ""), Value: value}
	case bot.WidgetSecret:
		// Masked as typed, and never given a value: not the Initial, not
		// what was typed before the form came back with an error.
		return textInput{Type: "Input.Text", ID: id, Label: label, IsRequired: required, ErrorMessage: errMsg,
			Style: "password", MaxLength: maxLineInput, Placeholder: placeholder(fd, "")}
	case bot.WidgetLongText:
		return textInput{Type: "Input.Text", ID: id, Label: label, IsRequired: required, ErrorMessage: errMsg,
			IsMultiline: true, MaxLength: maxLongInput, Placeholder: placeholder(fd, ""), Value: value}
	case bot.WidgetCheckbox:
		on := fd.Checked
		if typed {
			on = value == toggleOn
		}
		v := toggleOff
		if on {
			v = toggleOn
		}
		heading := fd.Heading
		if heading == "" {
			heading = fd.Label
		}
		return toggle{Type: "Input.Toggle", ID: id, Label: cut(heading, maxLabel), Title: label, Value: v, ValueOn: toggleOn, ValueOff: toggleOff, Wrap: true}
	}
	return nil
}

func placeholder(fd bot.FormField, def string) string {
	if fd.Placeholder != "" {
		return cut(fd.Placeholder, maxPlaceholder)
	}
	return def
}

// option is a choice; its value is never cut (a cut value is another
// value), only its title.
func option(o bot.Option) choice {
	t := o.Label
	if o.Hint != "" {
		t += " — " + o.Hint
	}
	return choice{Title: cut(t, maxChoiceTitle), Value: o.Value}
}

// factsContainer shows what the directory says about the picked account,
// right under the field, before anything is submitted (as Slack's
// accountFactsBlocks): the warning first, marked, then the facts.
func factsContainer(c bot.Card, ms *mentions) container {
	items := []any{}
	if c.Title != "" {
		t := text(c.Title, maxTitle)
		t.Weight = "Bolder"
		items = append(items, t)
	}
	if c.Text != "" {
		mark := "⚠️ "
		if c.Tone == bot.ToneDanger {
			mark = "⛔ "
		}
		items = append(items, text(mark+c.Text, maxText))
	}
	if len(c.Fields) > 0 {
		fs := factSet{Type: "FactSet"}
		for _, f := range c.Fields[:min(len(c.Fields), maxFacts)] {
			fs.Facts = append(fs.Facts, ms.fact(f))
		}
		items = append(items, fs)
	}
	return container{Type: "Container", Style: "emphasis", Items: items}
}
