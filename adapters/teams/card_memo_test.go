package teams

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/identity"
)

// cardFields are the fields of the card types cardMemo.key covers. A field
// added to one of them fails this test until key hashes it too (or it is
// listed here as not rendered): otherwise two different cards could share
// a drawing.
var cardFields = map[reflect.Type][]string{
	reflect.TypeFor[bot.Card]():   {"Title", "Text", "Fields", "Actions", "Footer", "Tone", "Secret", "Close"},
	reflect.TypeFor[bot.Field]():  {"Label", "Value", "Person"},
	reflect.TypeFor[bot.Action](): {"ID", "Label", "RequestID", "Style"},
	reflect.TypeFor[bot.Actor]():  {"Platform", "Tenant", "ID", "Name", "Groups"}, // Groups is never drawn
	reflect.TypeFor[bot.Form]():   {"ID", "Title", "Submit", "Cancel", "Context", "Fields"},
	reflect.TypeFor[bot.FormField](): {"ID", "Label", "Widget", "Hint", "Optional", "Options", "Initial", "Checked",
		"Heading", "Placeholder", "MinQuery", "Live"},
	reflect.TypeFor[bot.Option](): {"Value", "Label", "Hint"},
}

func TestCardMemoKeyCoversEveryField(t *testing.T) {
	for typ, want := range cardFields {
		var got []string
		for f := range typ.Fields() {
			got = append(got, f.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s has fields %v; cardMemo.key covers %v: hash the new one, then list it here", typ, got, want)
		}
	}
}

func memoCard() bot.Card {
	who := bot.Actor{Platform: "teams", Tenant: "t1", ID: "oid-1", Name: "Tess"}
	return bot.Card{Title: "Password reset request: alice", Text: "Decide below.", Footer: "Request r1", Tone: bot.ToneWarning,
		Fields:  []bot.Field{{Label: "Account", Value: "alice"}, {Label: "Requested by", Value: "Tess", Person: &who}},
		Actions: []bot.Action{{ID: bot.ActionApprove, Label: "Approve", RequestID: "r1", Style: bot.StylePrimary}}}
}

// TestCardMemoTellsEveryChangeApart: the same card for the same people is
// drawn once; a change of any field, of the renderer or of the people gets
// its own drawing, the same bytes a fresh render gives; a card with a
// password is never kept.
func TestCardMemoTellsEveryChangeApart(t *testing.T) {
	m := newCardMemo()
	renders := 0
	render := func(c bot.Card, mris []string) json.RawMessage {
		renders++
		return deciderCard(c, mris)
	}
	mris := []string{"29:a", "29:b"}
	first := m.draw(drawDecider, memoCard(), mris, render)
	if again := m.draw(drawDecider, memoCard(), slices.Clone(mris), render); renders != 1 || !bytes.Equal(first, again) {
		t.Fatalf("the same card was rendered %d times", renders)
	}
	if !bytes.Equal(first, deciderCard(memoCard(), mris)) {
		t.Fatal("the kept drawing differs from a fresh one")
	}
	changes := map[string]func(*bot.Card, *[]string){
		"title":         func(c *bot.Card, _ *[]string) { c.Title += "x" },
		"text":          func(c *bot.Card, _ *[]string) { c.Text = "Approved." },
		"footer":        func(c *bot.Card, _ *[]string) { c.Footer = "Request r2" },
		"tone":          func(c *bot.Card, _ *[]string) { c.Tone = bot.ToneGood },
		"close":         func(c *bot.Card, _ *[]string) { c.Close = "Close" },
		"field label":   func(c *bot.Card, _ *[]string) { c.Fields[0].Label = "User" },
		"field value":   func(c *bot.Card, _ *[]string) { c.Fields[0].Value = "bob" },
		"one field":     func(c *bot.Card, _ *[]string) { c.Fields = c.Fields[:1] },
		"person":        func(c *bot.Card, _ *[]string) { c.Fields[0].Person = &bot.Actor{ID: "alice"} },
		"person id":     func(c *bot.Card, _ *[]string) { p := *c.Fields[1].Person; p.ID = "oid-2"; c.Fields[1].Person = &p },
		"person name":   func(c *bot.Card, _ *[]string) { p := *c.Fields[1].Person; p.Name = "T"; c.Fields[1].Person = &p },
		"person tenant": func(c *bot.Card, _ *[]string) { p := *c.Fields[1].Person; p.Tenant = "t2"; c.Fields[1].Person = &p },
		"person on": func(c *bot.Card, _ *[]string) {
			p := *c.Fields[1].Person
			p.Platform = "slack"
			c.Fields[1].Person = &p
		},
		"no actions":   func(c *bot.Card, _ *[]string) { c.Actions = nil },
		"action id":    func(c *bot.Card, _ *[]string) { c.Actions[0].ID = bot.ActionDeny },
		"action label": func(c *bot.Card, _ *[]string) { c.Actions[0].Label = "OK" },
		"action req":   func(c *bot.Card, _ *[]string) { c.Actions[0].RequestID = "r2" },
		"action style": func(c *bot.Card, _ *[]string) { c.Actions[0].Style = bot.StyleDanger },
		"people":       func(_ *bot.Card, p *[]string) { *p = (*p)[:1] },
		"person moved": func(_ *bot.Card, p *[]string) { *p = []string{"29:a29:b"} },
		"text run-on":  func(c *bot.Card, _ *[]string) { c.Title, c.Text = c.Title+c.Text, "" },
	}
	keys := map[uint64]string{m.key(drawDecider, memoCard(), mris): "the card"}
	for name, change := range changes {
		c, p := memoCard(), slices.Clone(mris)
		c.Fields = slices.Clone(c.Fields)
		c.Actions = slices.Clone(c.Actions)
		change(&c, &p)
		k := m.key(drawDecider, c, p)
		if was, dup := keys[k]; dup {
			t.Errorf("%s shares a key with %s", name, was)
		}
		keys[k] = name
	}
	if m.key(drawApproval, memoCard(), mris) == m.key(drawDecider, memoCard(), mris) {
		t.Error("the two renderers share a key")
	}
	secret := memoCard()
	secret.Secret = identity.NewSecret("Correct-Horse-42!")
	renders = 0
	m.draw(drawDecider, secret, mris, render)
	m.draw(drawDecider, secret, mris, render)
	if renders != 2 {
		t.Fatalf("a card holding a password was kept (%d renders for two draws)", renders)
	}
	for i := range maxCards + 1 {
		c := memoCard()
		c.Footer = string(rune('a'+i%26)) + string(rune(i))
		m.draw(drawDecider, c, mris, render)
	}
	if len(m.m) > maxCards {
		t.Fatalf("the memo holds %d cards, more than %d", len(m.m), maxCards)
	}
}

// TestBlankFormKeptPerFormAndPlace: the same blank form for the same place
// is drawn once and matches a fresh drawing; each change of the form or
// the place gets its own.
func TestBlankFormKeptPerFormAndPlace(t *testing.T) {
	m := newCardMemo()
	f := bot.Form{ID: bot.FormRequest, Title: "Unlock or reset", Submit: "Send", Cancel: "Cancel", Fields: []bot.FormField{
		{ID: bot.FieldOrg, Label: "Organization", Widget: bot.WidgetSelect, Options: []bot.Option{{Value: "acme", Label: "Acme"}}},
		{ID: bot.FieldAccount, Label: "Account", Widget: bot.WidgetText, MinQuery: 2, Live: true}}}
	first := m.blankForm(f, "C1")
	if !bytes.Equal(first, formCard(f, "C1", nil, nil, nil)) || len(m.m) != 1 {
		t.Fatalf("the kept form differs from a fresh one, or was not kept (%d)", len(m.m))
	}
	m.blankForm(f, "C1")
	if len(m.m) != 1 {
		t.Fatal("the same form was kept twice")
	}
	clone := func() bot.Form {
		g := f
		g.Fields = slices.Clone(f.Fields)
		g.Fields[0].Options = slices.Clone(f.Fields[0].Options)
		return g
	}
	changes := []func(*bot.Form){
		func(g *bot.Form) { g.Title = "x" },
		func(g *bot.Form) { g.Context = "r1" },
		func(g *bot.Form) { g.Fields[1].Hint = "h" },
		func(g *bot.Form) { g.Fields[1].Optional = true },
		func(g *bot.Form) { g.Fields[1].Live = false },
		func(g *bot.Form) { g.Fields[1].MinQuery = 3 },
		func(g *bot.Form) { g.Fields[1].Placeholder = "alice" },
		func(g *bot.Form) { g.Fields[1].Initial = &bot.Option{Value: "alice"} },
		func(g *bot.Form) { g.Fields[0].Options[0].Label = "Acme Ltd" },
		func(g *bot.Form) { g.Fields[0].Options = append(g.Fields[0].Options, bot.Option{Value: "beta"}) },
		func(g *bot.Form) { g.Fields = g.Fields[:1] },
	}
	for i, change := range changes {
		g := clone()
		change(&g)
		if got := m.blankForm(g, "C1"); !bytes.Equal(got, formCard(g, "C1", nil, nil, nil)) || len(m.m) != i+2 {
			t.Fatalf("change %d was not drawn on its own (%d kept)", i, len(m.m))
		}
	}
	if got := m.blankForm(f, "C2"); !bytes.Equal(got, formCard(f, "C2", nil, nil, nil)) || len(m.m) != len(changes)+2 {
		t.Fatal("another place shared the form's drawing")
	}
}
