package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
)

// TestDiskFlushesOnlyAtStepBoundaries: a reset flushes the trail to disk
// where the flow needs it and nowhere else: the write intent before the
// directory is touched, the outcome before anyone is told, and a human
// approval before it is acted on. Everything else rides along.
func TestDiskFlushesOnlyAtStepBoundaries(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r, err := h.svc.BreakGlass(ctx, Submission{Requester: Actor{ID: "oncall"}, OrgID: "acme", Account: "alice",
		Password: identity.NewSecret("Correct-Horse-42!"), Reason: "break glass"})
	if err != nil || r.State != StateDone {
		t.Fatalf("break-glass reset: %v", err)
	}
	if got := strings.Join(h.durable.take(), " "); got != "reset.write_started reset.completed" {
		t.Fatalf("a break-glass reset flushed after %q; want only the intent and the completion", got)
	}

	r = h.mustSubmit("bob", "Correct-Horse-43!")
	if got := h.durable.take(); len(got) != 0 {
		t.Fatalf("a submission waiting for approval flushed after %q", got)
	}
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(h.durable.take(), " "); got != "request.approved reset.write_started reset.completed" {
		t.Fatalf("an approved reset flushed after %q; want the approval, the intent and the completion", got)
	}
	if !strings.Contains(h.audit.String(), `"type":"request.delivered"`) {
		t.Fatal("the confirmation is not in the trail")
	}
}
