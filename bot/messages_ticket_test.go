package bot

import (
	"context"
	"strings"
	"testing"
)

// The ticket note says who asked and who approved, how the caller was
// verified, what the directory showed afterwards, what was done and
// when, and links the chat thread; never the password.
func TestTicketNoteSaysWhoWhatWhenAndWhere(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "Kite-Harbor-42!x")
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	got, _ := h.svc.Get(ctx, r.ID)
	notes, err := h.tickets.Notes(ctx, got.Steps.TicketID)
	if err != nil || len(notes) == 0 {
		t.Fatalf("%d notes: %v", len(notes), err)
	}
	text := ""
	for _, n := range notes {
		if n.Internal && n.Key == r.ID+":note" {
			text = n.Text // unlockbot's note, not the ticket's description or the resolution
		}
	}
	for _, want := range []string{
		"Requested by: Tess Tech (U1)", "Approved by: Abe Approver (U2)",
		"Reason (how the caller was verified): Verified by call-back to HR number",
		"Checked in the directory afterwards: the account is unlocked and the new password signs in",
		"account unlocked and password reset, by unlockbot, " + h.clock.now().UTC().Format("2006-01-02 15:04") + " UTC",
		"Chat: https://chat.example/C-approvals/1", "unlockbot request: " + r.ID,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the note lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Kite-Harbor-42!x") {
		t.Fatal("the password is in the note text")
	}
}
