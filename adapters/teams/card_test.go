package teams

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
	"github.com/unlockbot/unlockbot/bot"
)

func invokeValue(t testing.TB, s string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestReadAction(t *testing.T) {
	// A submit as Teams sends it: the action's data merged with the inputs.
	got, err := readAction(invokeValue(t, `{"action":{"type":"Action.Execute","verb":"teams.submit","data":{
		"form":"unlockbot.request","context":"","where":"19:acme@thread.tacv2",
		"org":"acme","account":"alice","password":"S3cret!pass","temporary":"yes","note_password":"no","reason":"called back",
		"msteams":{"x":1},"unknown":"dropped"}},"trigger":"manual"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := actionData{Verb: verbSubmit, Form: bot.FormRequest, Where: "19:acme@thread.tacv2", Values: bot.FormValues{
		bot.FieldOrg: "acme", bot.FieldAccount: "alice", bot.FieldPassword: "S3cret!pass", bot.FieldTemporary: bot.CheckedValue,
		bot.FieldNote: "no", bot.FieldReason: "called back", "unknown": "dropped"}} // bot reads only its own fields
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}

	click, err := readAction(invokeValue(t, `{"action":{"type":"Action.Execute","verb":"unlockbot.approve","data":{"request":"r1"}}}`))
	if err != nil || click.Verb != string(bot.ActionApprove) || click.Request != "r1" || click.Values != nil {
		t.Fatalf("%+v %v", click, err)
	}
	if close, err := readAction(invokeValue(t, `{"action":{"type":"Action.Execute","verb":"teams.close"}}`)); err != nil || close.Verb != verbClose {
		t.Fatalf("%+v %v", close, err)
	}

	for _, bad := range []string{
		`{}`,
		`{"action":"Action.Execute"}`,
		`{"action":{"type":"Action.Submit","verb":"unlockbot.approve"}}`,
		`{"action":{"type":"Action.Execute"}}`,
		`{"action":{"type":"Action.Execute","verb":7}}`,
		`{"action":{"type":"Action.Execute","verb":"v","data":"r1"}}`,
		`{"action":{"type":"Action.Execute","verb":"v","data":{"request":["r1"]}}}`,
	} {
		_, err := readAction(invokeValue(t, bad))
		if err == nil {
			t.Errorf("%s: accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "S3cret") {
			t.Errorf("the error shows a value: %v", err)
		}
	}
}

// Whatever a client sends, readAction answers without panicking.
func FuzzReadAction(f *testing.F) {
	for _, s := range []string{
		`{"action":{"type":"Action.Execute","verb":"teams.submit","data":{"form":"unlockbot.request","org":"acme","temporary":"yes"}}}`,
		`{"action":{"type":"Action.Execute","verb":"unlockbot.deny","data":{"request":"r1"}}}`,
		`{"action":{"type":"Action.Execute","verb":"","data":null}}`,
		`{"action":[1,2]}`, `{"action":{"data":{"reason":true}}}`, `null`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v map[string]any
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		got, err := readAction(v)
		if err == nil && got.Verb == "" {
			t.Fatalf("no verb accepted: %s", s)
		}
		for f := range got.Values {
			if k := string(f); k == keyRequest || k == keyForm || k == keyContext || k == keyWhere || len(k) > maxFieldID {
				t.Fatalf("the action's own key or an overlong key %q read as a field", f)
			}
		}
	})
}

func TestMarkdownEscaping(t *testing.T) {
	for in, want := range map[string]string{
		"plain text (alice)":        "plain text (alice)",
		"svc_backup *x* `y` ~z~ \\": `svc\_backup \*x\* \` + "`y\\`" + ` \~z\~ \\`,
		"[a](http://e.example)":     `\[a\](http://e.example)`,
		"- one\n  + two\n3. three":  "\\- one\n  \\+ two\n3\\. three",
		"a - b 2. c":                "a - b 2. c",
		"hi <at>Abe</at>":           "hi <\u200bat>Abe<\u200b/at>",
		"x <at y":                   "x <\u200bat y",
		"x </at> 3 < 4":             "x <\u200b/at> 3 < 4",
		// One special character alone: text without any is not copied, so
		// each must still be seen.
		"a*b": `a\*b`, "a_b": `a\_b`, "a`b": "a\\`b", "a~b": `a\~b`, `a\b`: `a\\b`, "a[b": `a\[b`, "a]b": `a\]b`,
		strings.Repeat("x", 10) + "*": strings.Repeat("x", 9) + "…",
	} {
		if got := md(in, 10_000); in == strings.Repeat("x", 10)+"*" {
			if got = md(in, 10); got != want {
				t.Errorf("md(%q, 10) = %q, want %q", in, got, want)
			}
		} else if got != want {
			t.Errorf("md(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAnswers(t *testing.T) {
	enc := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	if got := enc(searchAnswer(nil)); got != `{"statusCode":200,"type":"application/vnd.microsoft.search.searchResponse","value":{"results":[]}}` {
		t.Errorf("no match: %s", got)
	}
	var opts []bot.Option
	for range 40 {
		opts = append(opts, bot.Option{Value: "alice", Label: "Alice Person", Hint: "locked"})
	}
	got := enc(searchAnswer(opts))
	if strings.Count(got, `"value":"alice"`) != maxSearchResults || !strings.Contains(got, `"title":"Alice Person — locked"`) {
		t.Errorf("search: %s", got)
	}
	if got := enc(errorAnswer(403, "Forbidden", "Only an approver of Acme can approve.")); got !=
		`{"statusCode":403,"type":"application/vnd.microsoft.error","value":{"code":"Forbidden","message":"Only an approver of Acme can approve."}}` {
		t.Errorf("error: %s", got)
	}
	if got := enc(messageAnswer("Done.")); got != `{"statusCode":200,"type":"application/vnd.microsoft.activity.message","value":"Done."}` {
		t.Errorf("message: %s", got)
	}
	card := sentenceCard("Hello")
	if got := enc(cardAnswer(card)); !strings.HasPrefix(got, `{"statusCode":200,"type":"application/vnd.microsoft.card.adaptive","value":{"type":"AdaptiveCard"`) {
		t.Errorf("card: %s", got)
	}
	if err := teamstest.ValidateCard(card); err != nil {
		t.Error(err)
	}
}

// A redraw keeps what was typed, except the password; a select or
// type-ahead keeps its pick, a checkbox its state.
func TestFormKeepsValuesButNotSecrets(t *testing.T) {
	f := bot.Form{ID: bot.FormRequest, Title: "Unlock", Submit: "Submit", Cancel: "Cancel", Fields: []bot.FormField{
		{ID: bot.FieldAccount, Label: "Account", Widget: bot.WidgetTypeahead, Initial: &bot.Option{Value: "alice", Label: "Alice"}},
		{ID: bot.FieldPassword, Label: "New password", Widget: bot.WidgetSecret, Optional: true, Initial: &bot.Option{Value: "Initial-Secret1"}},
		{ID: bot.FieldTemporary, Label: "Temporary", Widget: bot.WidgetCheckbox, Checked: true},
		{ID: bot.FieldReason, Label: "Reason", Widget: bot.WidgetLongText},
	}}
	vals := bot.FormValues{bot.FieldAccount: "bob", bot.FieldPassword: "Typed-Secret1", bot.FieldTemporary: "no", bot.FieldReason: "because"}
	card := string(formCard(f, "19:x", vals, nil, nil))
	if err := teamstest.ValidateCard([]byte(card)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(card, "Secret1") {
		t.Fatalf("a password is echoed: %s", card)
	}
	for _, want := range []string{`"value":"bob","choices":[{"title":"bob","value":"bob"}]`, `"value":"no","valueOn":"yes"`, `"value":"because"`} {
		if !strings.Contains(card, want) {
			t.Errorf("missing %s in %s", want, card)
		}
	}
}

func TestIsObjectID(t *testing.T) {
	for s, want := range map[string]bool{
		"a1b2c3d4-e5f6-4789-8abc-def012345678": true, "A1B2C3D4-E5F6-4789-8ABC-DEF012345678": true,
		"29:1abc": false, "a1b2c3d4-e5f6-4789-8abc-def01234567": false, "a1b2c3d4xe5f6-4789-8abc-def012345678": false,
		"g1b2c3d4-e5f6-4789-8abc-def012345678": false, "": false,
	} {
		if isObjectID(s) != want {
			t.Errorf("isObjectID(%q) != %v", s, want)
		}
	}
}
