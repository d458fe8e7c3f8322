package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
	"github.com/unlockbot/unlockbot/bot"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

var expiresAt = regexp.MustCompile(`expires \d\d:\d\d UTC`)

// golden validates card against Teams' schema and rules, then compares it,
// indented, with testdata/name.golden.json. id, when set, is the request
// id, replaced so the file is the same every run.
func golden(t *testing.T, name string, card json.RawMessage, id string) {
	t.Helper()
	if err := teamstest.ValidateCard(card); err != nil {
		t.Fatalf("%s: Teams would refuse it: %v", name, err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, normalize(card, id), "", "  "); err != nil {
		t.Fatal(err)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("%s differs from the golden file (go test -update to accept):\n%s", path, buf.String())
	}
}

// TestApprovalCardsGolden follows one request through the flow: the card
// the channel sees (status and a refresh for the approvers), the view an
// approver's refresh answers with (the buttons), the done card, the
// requester's private card and the reveal window.
func TestApprovalCardsGolden(t *testing.T) {
	e := newRenderEnv(t)
	ctx := t.Context()
	id := e.submit(t, "Called back on the HR number & checked *ID* [see](http://evil.example)")
	pending := e.chat.last(t, "post")
	mris := []string{mri(1), mri(2)}
	golden(t, "approval_card", approvalCard(pending, mris), id)
	golden(t, "approval_card_approver", messageCard(pending), id)

	if _, err := e.svc.Approve(ctx, id, renderTech); err == nil {
		t.Fatal("the requester approved their own request")
	} else {
		golden(t, "sentence", sentenceCard(bot.UserSentence(err)), id)
	}
	if _, err := e.svc.Approve(ctx, id, renderApprover); err != nil {
		t.Fatal(err)
	}
	done := e.chat.last(t, "update")
	if len(done.Actions) != 0 {
		t.Fatalf("the done card has actions: %+v", done.Actions)
	}
	golden(t, "approval_card_done", approvalCard(done, mris), id)
	private := e.chat.last(t, "notify")
	golden(t, "private_done", messageCard(private), id)

	var pw string
	err := e.svc.Reveal(ctx, id, renderTech, func(_ context.Context, c bot.Card) error {
		pw = c.Secret.Reveal()
		card := windowCard(c)
		if !bytes.Contains(card, []byte(jsonString(pw))) {
			t.Error("the reveal window does not show the password")
		}
		golden(t, "reveal_window", bytes.ReplaceAll(card, []byte(jsonString(pw)), []byte(`"PASSWORD"`)), id)
		return nil
	})
	if err != nil || pw == "" {
		t.Fatalf("reveal: %v", err)
	}
	// Only the window ever shows it: every other card of the flow, as
	// every renderer draws it, is free of it.
	for _, c := range e.chat.all() {
		for _, card := range []json.RawMessage{messageCard(c), approvalCard(c, mris), formCard(bot.Form{}, "", nil, nil, &c)} {
			if bytes.Contains(card, []byte(pw)) {
				t.Fatalf("a card other than the reveal window shows the password: %s", card)
			}
		}
	}
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

// TestFormCardsGolden draws the request form as NewForm builds it: empty,
// opened for an account (with the account's facts), and back from a
// refused submission with the errors under their fields; and the deny
// form.
func TestFormCardsGolden(t *testing.T) {
	e := newRenderEnv(t)
	ctx := t.Context()
	empty, err := e.svc.NewForm(ctx, renderTech, renderChan, "")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "form_empty", formCard(empty, renderChan, nil, nil, nil), "")

	pre, err := e.svc.NewForm(ctx, renderTech, renderChan, "alice")
	if err != nil {
		t.Fatal(err)
	}
	facts, err := e.svc.AccountCard(ctx, renderTech, "acme", "alice")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "form_prefilled_facts", formCard(pre, renderChan, nil, nil, &facts), "")

	typed := bot.FormValues{bot.FieldOrg: "acme", bot.FieldMode: "reset", bot.FieldAccount: "alice",
		bot.FieldPassword: "short", bot.FieldTemporary: bot.CheckedValue, bot.FieldNote: "no", bot.FieldReason: ""}
	ans := e.svc.SubmitForm(ctx, bot.FormReply{Form: bot.FormRequest, Actor: renderTech, Where: renderChan, Values: typed})
	if len(ans.Errors) == 0 {
		t.Fatal("the submission was not refused")
	}
	card := formCard(pre, renderChan, typed, ans.Errors, &facts)
	golden(t, "form_errors", card, "")
	if bytes.Contains(card, []byte(`"short"`)) {
		t.Fatal("the typed password came back in the form")
	}
	for f, msg := range ans.Errors {
		if !bytes.Contains(card, []byte(jsonString(md(msg, maxError)))) {
			t.Errorf("the error for %s is not shown: %q", f, msg)
		}
	}

	golden(t, "deny_form", formCard(bot.DenyForm("r123"), renderAppr, nil, nil, nil), "")

	// Every field NewForm asks comes back through readAction.
	data := map[string]any{}
	for _, fd := range pre.Fields {
		data[string(fd.ID)] = "x"
	}
	back, err := readAction(map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": verbSubmit, "data": data}})
	for _, fd := range pre.Fields {
		if err != nil || back.Values[fd.ID] != "x" {
			t.Errorf("readAction drops the form's field %q (%v)", fd.ID, err)
		}
	}
}

// The base approval card shows no buttons to the channel only while Teams
// can refresh it for every approver; otherwise everyone gets the buttons
// (the server checks the role at the click).
func TestApprovalCardRefreshLimit(t *testing.T) {
	e := newRenderEnv(t)
	e.submit(t, "Caller verified")
	pending := e.chat.last(t, "post")
	var many []string
	for i := range maxRefreshUsers + 1 {
		many = append(many, mri(i))
	}
	for _, tc := range []struct {
		name        string
		mris        []string
		refresh     bool
		withButtons bool
	}{
		{"approvers known", many[:maxRefreshUsers], true, false},
		{"too many approvers", many, false, true},
		{"no approver known", nil, false, true},
	} {
		card := approvalCard(pending, tc.mris)
		if err := teamstest.ValidateCard(card); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var c struct {
			Refresh *refresh  `json:"refresh"`
			Actions []execute `json:"actions"`
		}
		if err := json.Unmarshal(card, &c); err != nil {
			t.Fatal(err)
		}
		if (c.Refresh != nil) != tc.refresh || (len(c.Actions) > 0) != tc.withButtons {
			t.Errorf("%s: refresh %v, %d buttons", tc.name, c.Refresh != nil, len(c.Actions))
		}
	}
}

// A display name or reason cannot add a mention, a hidden link or
// formatting: the text is shown as typed.
func TestCardTextIsInert(t *testing.T) {
	evil := bot.Actor{Platform: Platform, ID: renderApprover.ID, Name: "Abe</at> <at>Eve"}
	c := bot.Card{
		Title: "Unlock request: **Alice** [click](https://evil.example)",
		Text:  "- item\n1. first\nping <at>Abe Approver</at> ~~x~~ `code` _i_ \\",
		Fields: []bot.Field{
			{Label: "Approved by", Value: "x", Person: &renderApprover},
			{Label: "Other", Value: "y", Person: &evil},
			{Label: "Not an object id", Value: "Mallory (29:1xyz)", Person: &bot.Actor{Platform: Platform, ID: "29:1xyz", Name: "Mallory"}},
			{Label: "Slack person", Value: "Sam (U1)", Person: &bot.Actor{Platform: "slack", ID: renderApprover.ID, Name: "Sam"}},
		},
	}
	card := messageCard(c)
	if err := teamstest.ValidateCard(card); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Body    json.RawMessage `json:"body"` // as sent: no HTML escaping to hide a "<"
		MSTeams msteams         `json:"msteams"`
	}
	if err := json.Unmarshal(card, &got); err != nil {
		t.Fatal(err)
	}
	s := string(got.Body)
	for _, bad := range []string{"**Alice**", "[click]", `\n- item`, `\n1. first`, "<at>Abe Approver</at> ~", "~~x~~", "`code`", " _i_ ", "<at>Eve"} {
		if strings.Contains(s, bad) {
			t.Errorf("%q reaches the card as markdown: %s", bad, s)
		}
	}
	if len(got.MSTeams.Entities) != 2 {
		t.Fatalf("want mentions of the two Entra users only, got %+v", got.MSTeams.Entities)
	}
	if m := got.MSTeams.Entities[1]; m.Text != "<at>Abe/at atEve</at>" || strings.ContainsAny(m.Mentioned.Name, "<>") {
		t.Fatalf("a name reshaped its mention tag: %+v", m)
	}
	for _, want := range []string{"Mallory (29:1xyz)", "Sam (U1)"} {
		if !strings.Contains(s, want) {
			t.Errorf("the text fallback %q is missing: %s", want, s)
		}
	}
}

// Text beyond the bounds is cut, and a card with every field at its
// longest still fits Teams' 28 KB.
func TestCardBounds(t *testing.T) {
	c := bot.Card{Title: strings.Repeat("T", 400), Text: strings.Repeat("x", 5000), Footer: strings.Repeat("f", 900)}
	for range 40 {
		c.Fields = append(c.Fields, bot.Field{Label: strings.Repeat("L", 300), Value: strings.Repeat("v", 2500)})
	}
	c.Actions = []bot.Action{{ID: bot.ActionRetry, Label: strings.Repeat("b", 100), RequestID: "r1"}}
	card := messageCard(c)
	if err := teamstest.ValidateCard(card); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Body []struct {
			Items []json.RawMessage `json:"items"`
		} `json:"body"`
		Actions []execute `json:"actions"`
	}
	if err := json.Unmarshal(card, &got); err != nil {
		t.Fatal(err)
	}
	var fs factSet
	_ = json.Unmarshal(got.Body[0].Items[2], &fs)
	if len(fs.Facts) != maxFacts || len([]rune(got.Actions[0].Title)) != maxButton {
		t.Fatalf("%d facts, button %q", len(fs.Facts), got.Actions[0].Title)
	}
}

// BenchmarkApprovalCard is the rendering in an adaptiveCard/action answer
// (the approver's refreshed view).
func BenchmarkApprovalCard(b *testing.B) {
	c := bot.Card{Title: "Password reset request: Alice Person (alice)", Text: "An approver of Acme (not the requester) decides below; expires 10:00 UTC.",
		Footer: "Request r123", Tone: bot.ToneWarning,
		Actions: []bot.Action{{ID: bot.ActionApprove, Label: "Approve", RequestID: "r123", Style: bot.StylePrimary}, {ID: bot.ActionDeny, Label: "Deny", RequestID: "r123", Style: bot.StyleDanger}}}
	for range 13 {
		c.Fields = append(c.Fields, bot.Field{Label: "Must change at next logon", Value: "since 2026-01-02 10:00 UTC"})
	}
	c.Fields[3].Person = &renderTech
	b.ReportAllocs()
	for b.Loop() {
		_ = messageCard(c)
	}
}
