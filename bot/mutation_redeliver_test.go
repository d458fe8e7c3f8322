package bot

import (
	"context"
	"testing"
	"time"
)

// A replica that died right after recording the approval, before the
// reset began (decide alone is that moment; its save claimed the request
// for the dead replica): the Approve delivered again within the dead
// one's lease leaves it to that lease, and delivered again after it runs
// the reset, once, and tells the clicker nothing (mutation testing found
// the approved-state case unguarded; the other tests die later).
func TestRedeliveredApproveRunsAnApprovalThatNeverStarted(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.decide(ctx, r.ID, approver, StateApproved, ""); err != nil {
		t.Fatal(err)
	}
	if got := h.request(r.ID); got.State != StateExecuting || got.Attempts != 1 {
		t.Fatalf("after the approval alone: %s, attempt %d", got.State, got.Attempts)
	}
	h.replica(h.st).RunJob(ctx, approveJob(r.ID, 2))
	if got := h.request(r.ID); got.State != StateExecuting || h.dir.Calls.SetPassword != 0 {
		t.Fatalf("the approval delivered again within the lease: %s, %d writes", got.State, h.dir.Calls.SetPassword)
	}
	h.clock.add(h.svc.lease + time.Second)
	h.replica(h.st).RunJob(ctx, approveJob(r.ID, 3))
	if got := h.request(r.ID); got.State != StateDone {
		t.Fatalf("the redelivered approval left the request %s", got.State)
	}
	if h.dir.Calls.Unlock != 1 || h.dir.Calls.SetPassword != 1 || h.chat.count("whisper") != 0 {
		t.Fatalf("unlocks %d sets %d whispers %d; want 1 1 0:\n%s", h.dir.Calls.Unlock, h.dir.Calls.SetPassword, h.chat.count("whisper"), h.chat.all())
	}
}
