package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
)

// TestDiskFlushesOnlyAtStepBoundaries: a reset flushes the trail to disk
// where the flow needs it and nowhere else: before the directory is
// touched (the approval, or for a request nobody approves its
// submission, each flushed while the account is read; the attempt's start
// rides with it or the next), and the outcome before anyone is told.
// Everything else rides along.
func TestDiskFlushesOnlyAtStepBoundaries(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r, err := h.svc.BreakGlass(ctx, Submission{Requester: Actor{ID: "oncall"}, OrgID: "acme", Account: "alice",
		Password: identity.NewSecret("Correct-Horse-42!"), Reason: "break glass"})
	if err != nil || r.State != StateDone {
		t.Fatalf("break-glass reset: %v", err)
	}
	// The submission's flush runs in the background from its append on:
	// the last event it covers is the submission, or the approval or the
	// attempt's start appended meanwhile.
	if got := strings.Join(h.durable.take(), " "); got != "request.submitted reset.completed" && got != "request.approved reset.completed" && got != "reset.started reset.completed" {
		t.Fatalf("a break-glass reset flushed after %q; want only the submission (flushed while the account is read) and the completion", got)
	}

	r = h.mustSubmit("bob", "Correct-Horse-43!")
	if got := h.durable.take(); len(got) != 0 {
		t.Fatalf("a submission waiting for approval flushed after %q", got)
	}
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	// The approval's flush runs while the attempt's start is appended:
	// it is the last it covers, or the start rides with the completion.
	if got := strings.Join(h.durable.take(), " "); got != "request.approved reset.completed" && got != "reset.started reset.completed" {
		t.Fatalf("an approved reset flushed after %q; want the approval (flushed while the account is read again) and the completion", got)
	}
	if !strings.Contains(h.audit.String(), `"type":"request.delivered"`) {
		t.Fatal("the confirmation is not in the trail")
	}
}

// gatedSink is a file-like sink whose Sync waits for the test.
type gatedSink struct {
	*jsonl.Sink
	reached chan struct{}
	release chan error
}

func (g gatedSink) Sync(ctx context.Context) error {
	g.reached <- struct{}{}
	if err := <-g.release; err != nil {
		return err
	}
	return g.Sink.Sync(ctx)
}

// TestApprovedWriteWaitsForTheApprovalsFlush: an approval is flushed
// while the account is read again, and the directory is written only once
// that flush succeeded; a flush that fails leaves the account as it was
// and withdraws the approval for good (an approval not in the trail is
// never acted on: no retry, no sweeper).
func TestApprovedWriteWaitsForTheApprovalsFlush(t *testing.T) {
	for _, fails := range []bool{false, true} {
		h, g, svc, r := gatedApproval(t)
		before := h.dir.Counts()
		done := make(chan error, 1)
		go func() { _, err := svc.Approve(context.Background(), r.ID, approver); done <- err }()
		<-g.reached
		if !strings.Contains(h.audit.String(), `"type":"request.approved"`) {
			t.Fatal("the flush runs before the approval was appended")
		}
		for deadline := time.Now().Add(10 * time.Second); h.dir.Counts().Lookup == before.Lookup; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the account was not read again while the approval was flushed")
			}
		}
		time.Sleep(20 * time.Millisecond) // long enough for the flow to reach the write if it did not wait
		if c := h.dir.Counts(); c.SetPassword != before.SetPassword || c.Unlock != before.Unlock {
			t.Fatalf("the directory was written before the approval was on disk: %+v", c)
		}
		var cause error
		if fails {
			cause = errors.New("disk gone")
		}
		g.release <- cause
		go func() { // any later flush goes through
			for range g.reached {
				g.release <- nil
			}
		}()
		err := <-done
		close(g.reached)
		flushOutcome(t, h, before, fails, err)
		if got := h.request(r.ID); fails && (got.State != StateFailed || got.Retryable || !strings.Contains(got.Failure, "approval was not acted on")) {
			t.Fatalf("after the approval's flush failed: %s, retryable %t, %q", got.State, got.Retryable, got.Failure)
		}
	}
}

// gatedApproval is a harness whose service writes its trail through a
// gated sink, and alice's request submitted on it, waiting for approval.
func gatedApproval(t *testing.T) (*harness, gatedSink, *Service, *Request) {
	t.Helper()
	h := newHarness(t, nil)
	g := gatedSink{jsonl.New(h.audit, nil), make(chan struct{}), make(chan error)}
	svc := h.serviceOn(h.st, g)
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	return h, g, svc, r
}

// TestBreakGlassWriteWaitsForTheSubmissionsFlush: a request nobody
// approves has its submission flushed while its account is read; the
// directory is written only once that flush succeeded, and a flush that
// fails leaves the account as it was.
func TestBreakGlassWriteWaitsForTheSubmissionsFlush(t *testing.T) {
	for _, fails := range []bool{false, true} {
		h := newHarness(t, nil)
		g := gatedSink{jsonl.New(h.audit, nil), make(chan struct{}), make(chan error)}
		svc := h.serviceOn(h.st, g)
		before := h.dir.Counts()
		done := make(chan error, 1)
		go func() {
			_, err := svc.BreakGlass(context.Background(), Submission{Requester: Actor{ID: "oncall"}, OrgID: "acme", Account: "alice",
				Password: identity.NewSecret("Correct-Horse-42!"), Reason: "break glass"})
			done <- err
		}()
		<-g.reached
		if !strings.Contains(h.audit.String(), `"type":"request.submitted"`) || !strings.Contains(h.audit.String(), `"approval":"break_glass:cli:oncall"`) {
			t.Fatalf("the flush runs before the submission (naming its approval) was appended:\n%s", h.audit.String())
		}
		for deadline := time.Now().Add(10 * time.Second); h.dir.Counts().Lookup == before.Lookup; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the account was not read while the submission was flushed")
			}
		}
		// Held long enough for the flow to reach the write if it did not wait.
		time.Sleep(20 * time.Millisecond)
		if c := h.dir.Counts(); c.SetPassword != before.SetPassword || c.Unlock != before.Unlock {
			t.Fatalf("the directory was written before the submission was on disk: %+v", c)
		}
		var cause error
		if fails {
			cause = errors.New("disk gone")
		}
		g.release <- cause
		go func() { // any later flush goes through
			for range g.reached {
				g.release <- nil
			}
		}()
		err := <-done
		close(g.reached)
		flushOutcome(t, h, before, fails, err)
	}
}

// flushOutcome checks a reset whose gating flush failed (refused, the
// directory untouched, alice still locked) or passed (one write, alice
// unlocked).
func flushOutcome(t *testing.T, h *harness, before memory.Counts, fails bool, err error) {
	t.Helper()
	u, _ := h.dir.User("alice")
	switch {
	case fails && (err == nil || !strings.Contains(SafeMessage(err), "audit trail") || h.dir.Counts().SetPassword != before.SetPassword || !u.Lock.Locked):
		t.Fatalf("a failed flush: err %v, counts %+v, locked %v; want refused with the directory untouched", err, h.dir.Counts(), u.Lock.Locked)
	case !fails && (err != nil || h.dir.Counts().SetPassword != before.SetPassword+1 || u.Lock.Locked):
		t.Fatalf("after the flush: err %v, counts %+v, locked %v", err, h.dir.Counts(), u.Lock.Locked)
	}
}

// TestAnUnrecordedApprovalOutranksAnOutage: an approval whose flush failed
// while the directory did not answer the read-back of the account ends
// withdrawn for good, not as an outage to retry.
func TestAnUnrecordedApprovalOutranksAnOutage(t *testing.T) {
	h, g, svc, r := gatedApproval(t)
	h.dir.FailNext("Lookup", identity.E("test", identity.KindUnavailable, "The directory did not answer.", nil))
	done := make(chan error, 1)
	go func() { _, err := svc.Approve(context.Background(), r.ID, approver); done <- err }()
	<-g.reached
	g.release <- errors.New("disk gone")
	if err := <-done; err == nil {
		t.Fatal("approved without its record on disk")
	}
	got := h.request(r.ID)
	if got.State != StateFailed || got.Retryable || !strings.Contains(got.Failure, "approval was not acted on") || h.dir.Calls.SetPassword != 0 {
		t.Fatalf("%s, retryable %t, %q, %d writes; want the approval withdrawn", got.State, got.Retryable, got.Failure, h.dir.Calls.SetPassword)
	}
}

// TestATryThatWritesNothingStillWaitsForItsStart: a retried unlock of an
// account whose lockout ran out meanwhile writes nothing, but its start
// was appended and flushed: a flush that fails ends the try failed, not
// done (the trail would not hold the attempt).
func TestATryThatWritesNothingStillWaitsForItsStart(t *testing.T) {
	h := newHarness(t, nil)
	svc, ctx := h.svc, context.Background()
	r, err := svc.Submit(ctx, Submission{Requester: tech, OrgID: "acme", Account: "alice", Mode: ModeUnlock, Reason: "Verified by call-back to HR number"})
	if err != nil {
		t.Fatal(err)
	}
	h.dir.FailNext("Lookup", identity.E("test", identity.KindUnavailable, "The directory did not answer.", nil))
	if got, err := svc.Approve(ctx, r.ID, approver); err == nil || !got.Retryable {
		t.Fatalf("approve with the directory down: %v", err)
	}
	u, _ := h.dir.User("alice")
	u.Lock = identity.LockState{}
	h.dir.Put(u) // the lockout ran out on its own
	h.failAudit = "sync"
	got, err := svc.Retry(ctx, r.ID, tech)
	if err == nil || got.State == StateDone || h.dir.Calls.Unlock != 0 {
		t.Fatalf("retry with the trail's flush failing: %v, %s, %d unlocks", err, got.State, h.dir.Calls.Unlock)
	}
}
