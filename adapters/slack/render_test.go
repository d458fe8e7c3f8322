package slack

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/bot"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// golden compares v, as indented JSON, with testdata/name.golden.json.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
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

func approvalCard() bot.Card {
	return bot.Card{
		Title: "Password reset request: Alice Person (alice)",
		Text:  "Tess Tech asks to unlock and reset this account. An approver of Acme (not the requester) decides below; expires 10:00 UTC.",
		Fields: []bot.Field{
			{Label: "Organization", Value: "Acme"}, {Label: "Account", Value: "Alice Person (alice) — locked"},
			{Label: "Requested by", Value: "Tess Tech"}, {Label: "Ticket", Value: "new ticket"},
			{Label: "Password", Value: "generated, shown only to the technician"}, {Label: "Must change at next logon", Value: "yes"},
			{Label: "Reason", Value: "Called back <on> the HR number & checked ID"},
		},
		Actions: []bot.Action{
			{ID: bot.ActionApprove, Label: "Approve", RequestID: "r123", Style: bot.StylePrimary},
			{ID: bot.ActionDeny, Label: "Deny", RequestID: "r123", Style: bot.StyleDanger},
		},
		Footer: "Request r123",
		Tone:   bot.ToneWarning,
	}
}

func TestRenderGolden(t *testing.T) {
	golden(t, "approval_card", renderCard(approvalCard()))
	done := approvalCard()
	done.Actions, done.Text, done.Tone = nil, "Done: unlocked and password reset, verified in the directory; approved by Abe.", bot.ToneGood
	golden(t, "approval_card_done", renderCard(done))
	form := bot.Form{ID: bot.FormRequest, Title: "Unlock an account", Submit: "Submit", Cancel: "Cancel", Fields: []bot.FormField{
		{ID: bot.FieldOrg, Label: "Organization", Widget: bot.WidgetSelect, Options: []bot.Option{{Value: "acme", Label: "Acme"}, {Value: "globex", Label: "Globex"}}, Initial: &bot.Option{Value: "acme", Label: "Acme"}},
		{ID: bot.FieldTicket, Label: "Existing ticket", Widget: bot.WidgetTypeahead, Optional: true, Hint: "Leave empty to create a new ticket."},
		{ID: bot.FieldAccount, Label: "Account", Widget: bot.WidgetTypeahead, Initial: &bot.Option{Value: "alice", Label: "alice"}},
		{ID: bot.FieldPassword, Label: "New password", Widget: bot.WidgetSecret, Optional: true, Hint: "Leave empty to generate one."},
		{ID: bot.FieldTemporary, Label: "Password is temporary (must change at next logon)", Widget: bot.WidgetCheckbox, Checked: true, Heading: "Temporary password"},
		{ID: bot.FieldNote, Label: "Add the new password to the ticket (internal note)", Widget: bot.WidgetCheckbox, Heading: "Ticket note"},
		{ID: bot.FieldReason, Label: "Reason", Widget: bot.WidgetLongText},
	}}
	golden(t, "request_modal", renderForm(form, "C123", nil))
	golden(t, "deny_modal", renderForm(bot.DenyForm("r123"), "C456", nil))
}

// Long text is cut to Slack's limits rather than refused; fields split
// into sections of ten.
func TestRenderRespectsLimits(t *testing.T) {
	c := bot.Card{Title: strings.Repeat("T", 400), Text: strings.Repeat("x", 5000)}
	for i := 0; i < 23; i++ {
		c.Fields = append(c.Fields, bot.Field{Label: "L", Value: strings.Repeat("v", 2500)})
	}
	c.Actions = []bot.Action{{ID: bot.ActionRetry, Label: strings.Repeat("b", 100), RequestID: "r1"}}
	e := newEnv(t, nil)
	if _, err := e.a.PostApproval(t.Context(), chApprovals, c); err != nil {
		t.Fatalf("the strict fake refused the rendered card: %v", err)
	}
	blocks := renderCard(c)
	if len(blocks) != 1+1+3+1 {
		t.Fatalf("%d blocks, want header, text, 3 field sections, actions", len(blocks))
	}
}

// TestRealCardsGolden pins what people see, rendered from the flow itself:
// the request modal as NewForm builds it, the same modal with the picked
// account's facts, and the approval card with those facts, as posted.
// The request id and the expiry time are the only parts that vary.
func TestRealCardsGolden(t *testing.T) {
	e := newEnv(t, nil)
	e.lockedAlice()
	ctx := t.Context()
	tech := e.a.actor(ctx, uTech, "utech")
	f, err := e.svc.NewForm(ctx, tech, chAcme, "alice")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "request_modal_real", renderForm(f, chAcme, nil))
	facts, err := e.svc.AccountCard(ctx, tech, "acme", "alice")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "request_modal_facts", renderForm(f, chAcme, &facts))
	id, post := e.submitOK(uTech, validForm())
	body := strings.ReplaceAll(post.Body, id, "rREQUEST")
	body = regexp.MustCompile(`expires \d\d:\d\d UTC`).ReplaceAllString(body, "expires HH:MM UTC")
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	golden(t, "approval_card_facts", v)
}
