package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// pendingOn submits a request on svc and returns its id.
func pendingOn(t *testing.T, svc *Service) string {
	t.Helper()
	r, err := submitOn(svc, "alice")
	if err != nil || r.State != StatePendingApproval {
		t.Fatalf("submit: %v", err)
	}
	return r.ID
}

// conflicting makes the next n saves of any request conflict.
func conflicting(f *flakyStore, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conflicts["req:"] = n
}

// Conflicts are retried from a fresh read, up to five saves (updateTries;
// the tests name the figure, so changing it is a decision, not a slip):
// the change fn makes is applied to what is stored now, once, not stacked
// on the copy that lost.
func TestUpdateRetriesConflictsFromAFreshRead(t *testing.T) {
	_, flaky, svc := flakyHarness(t)
	ctx := context.Background()
	id := pendingOn(t, svc)
	conflicting(flaky, 4)
	calls := 0
	r, err := svc.update(ctx, "test", id, func(r *Request) error {
		calls++
		r.Reason += " +edit"
		return nil
	})
	if err != nil || calls != 5 {
		t.Fatalf("after 4 conflicts: %v, fn called %d times; want saved on try 5", err, calls)
	}
	got, _ := svc.Get(ctx, id)
	if got.Reason != "Verified by call-back +edit" || r.Reason != got.Reason || r.version != got.version {
		t.Fatalf("stored reason %q (returned %q, v%d vs v%d); want one edit on the fresh copy", got.Reason, r.Reason, r.version, got.version)
	}
}

// A request that keeps changing under the update is given up after five
// saves, with the store sentence and nothing saved.
func TestUpdateGivesUpAfterItsTries(t *testing.T) {
	_, flaky, svc := flakyHarness(t)
	ctx := context.Background()
	id := pendingOn(t, svc)
	conflicting(flaky, 6)
	calls := 0
	r, err := svc.update(ctx, "test", id, func(r *Request) error {
		calls++
		r.Reason = "changed"
		return nil
	})
	if calls != 5 || !errors.Is(err, errNotSaved) || !errors.Is(err, store.ErrConflict) ||
		KindOf(err) != KindUnavailable || SafeMessage(err) != storeDown {
		t.Fatalf("fn called %d times, err %v; want 5 tries then the store sentence", calls, err)
	}
	if r == nil || r.Reason != "changed" {
		t.Fatalf("returned %+v; want the unsaved copy as fn left it", r)
	}
	if got, _ := svc.Get(ctx, id); got.Reason == "changed" {
		t.Fatal("a change that never won a save is stored")
	}
}

// An error from fn stops the update at once: nothing saved, the error
// returned as is, with the request fn saw.
func TestUpdateStopsOnFnError(t *testing.T) {
	_, _, svc := flakyHarness(t)
	ctx := context.Background()
	id := pendingOn(t, svc)
	before, _ := svc.Get(ctx, id)
	stop := errorf("test", KindConflict, nil, "Stop here.")
	calls := 0
	r, err := svc.update(ctx, "test", id, func(r *Request) error {
		calls++
		r.Reason = "changed"
		return stop
	})
	if err != stop || calls != 1 || r == nil || r.ID != id {
		t.Fatalf("err %v after %d calls, request %v; want fn's error after one call", err, calls, r)
	}
	if got, _ := svc.Get(ctx, id); got.version != before.version || got.Reason == "changed" {
		t.Fatal("an update stopped by fn saved the request")
	}
}

// A store that fails outright (not a conflict) is not retried; a reload
// that fails ends the update with the load's own error and no request.
func TestUpdateStoreErrors(t *testing.T) {
	_, flaky, svc := flakyHarness(t)
	ctx := context.Background()
	id := pendingOn(t, svc)
	down := errors.New("redis: connection reset")
	flaky.fail["CompareAndSwap:req:"] = down
	calls := 0
	_, err := svc.update(ctx, "test", id, func(*Request) error { calls++; return nil })
	if calls != 1 || !errors.Is(err, down) || !errors.Is(err, errNotSaved) || errors.Is(err, store.ErrConflict) || KindOf(err) != KindUnavailable {
		t.Fatalf("fn called %d times, err %v; want one try and the store sentence", calls, err)
	}
	delete(flaky.fail, "CompareAndSwap:req:")

	conflicting(flaky, 1)
	calls = 0
	r, err := svc.update(ctx, "test", id, func(*Request) error {
		calls++
		flaky.fail["Get:req:"] = down // the reload after the conflict fails
		return nil
	})
	if r != nil || calls != 1 || !errors.Is(err, down) || errors.Is(err, errNotSaved) {
		t.Fatalf("request %v, fn called %d times, err %v; want the load's error", r, calls, err)
	}
	if _, err := svc.update(ctx, "test", id, func(*Request) error { t.Fatal("fn ran without a request"); return nil }); !errors.Is(err, down) {
		t.Fatalf("a failing first load: %v", err)
	}
}

// updateFrom starts from the copy in hand: no read before the first try.
func TestUpdateFromUsesTheCopyInHand(t *testing.T) {
	_, flaky, svc := flakyHarness(t)
	ctx := context.Background()
	id := pendingOn(t, svc)
	r, _ := svc.Get(ctx, id)
	flaky.fail["Get:req:"] = errors.New("redis: connection reset")
	r.Reason = "in hand"
	got, err := svc.updateFrom(ctx, "test", r, func(r *Request) error {
		if r.Reason != "in hand" {
			t.Errorf("fn saw %q, want the copy in hand", r.Reason)
		}
		return nil
	})
	if err != nil || got != r {
		t.Fatalf("updateFrom: %v", err)
	}
	delete(flaky.fail, "Get:req:")
	if stored, _ := svc.Get(ctx, id); !strings.Contains(stored.Reason, "in hand") {
		t.Fatalf("stored %q", stored.Reason)
	}
}

// A decision that loses a few races is still one decision (approved and
// audited once, one reset); one that loses every race is not made.
func TestDecisionUnderConflicts(t *testing.T) {
	h, flaky, svc := flakyHarness(t)
	ctx := context.Background()
	id := pendingOn(t, svc)
	conflicting(flaky, updateTries-1)
	r, err := svc.Approve(ctx, id, approver)
	if err != nil || r.State != StateDone || auditCount(h, "request.approved") != 1 || h.dir.Calls.SetPassword != 1 {
		t.Fatalf("approve after %d conflicts: %v; %d approvals audited, %d resets", updateTries-1, err, auditCount(h, "request.approved"), h.dir.Calls.SetPassword)
	}

	d, err := submitOn(svc, "bob")
	if err != nil {
		t.Fatal(err)
	}
	conflicting(flaky, updateTries)
	if _, err := svc.Approve(ctx, d.ID, approver); KindOf(err) != KindUnavailable || SafeMessage(err) != storeDown {
		t.Fatalf("approve whose saves all conflict: %v", err)
	}
	if got, _ := svc.Get(ctx, d.ID); got.State != StatePendingApproval || auditCount(h, "request.approved") != 1 {
		t.Fatalf("after a lost decision: %s", got.State)
	}
}

// A worker whose lease ran out while it worked, and whose request another
// worker has claimed since (a later attempt, still running), records
// nothing when its own run fails: the run is the other's now.
func TestFailOfALostAttemptWritesNothing(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	other := h.replica(h.st)
	r := h.mustSubmit("alice", "")
	h.svc.afterStep = func(step string) error {
		if step != "write" {
			return nil
		}
		h.clock.add(3 * time.Minute) // past the lease
		if _, _, err := other.claim(ctx, r.ID); err != nil {
			t.Errorf("takeover: %v", err)
		}
		return errorf("test", KindUnavailable, nil, "Injected failure.")
	}
	_, err := h.svc.Approve(ctx, r.ID, approver)
	got, _ := h.svc.Get(ctx, r.ID)
	if KindOf(err) != KindConflict || got.State != StateExecuting || got.Attempts != 2 || got.Failure != "" {
		t.Fatalf("err %v; stored %s attempt %d failure %q; want the takeover's run untouched", err, got.State, got.Attempts, got.Failure)
	}
}

// A reveal whose save the store refuses shows nothing, says so, and
// leaves a reveal_failed record beside the durable revealed one.
func TestRevealNotSavedIsAudited(t *testing.T) {
	h, flaky, svc := flakyHarness(t)
	ctx := context.Background()
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	flaky.fail["CompareAndSwap:req:"] = errors.New("redis: connection reset")
	pw, _, err := svc.RevealPassword(ctx, r.ID, tech)
	if !pw.IsZero() || KindOf(err) != KindUnavailable || !strings.Contains(SafeMessage(err), "password was not shown") {
		t.Fatalf("reveal on a refusing store: %v", err)
	}
	if auditCount(h, "password.reveal_failed") != 1 || auditCount(h, "password.revealed") != 1 {
		t.Fatalf("audit trail: %s", h.audit.String())
	}
}

// An approval card that could not be posted fails the request, and the
// stored request says why (the card's sentence), not just "failed".
func TestFailedSubmitRecordsWhy(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	h.chat.fail = errors.New("channel_not_found")
	if _, err := h.submit("alice", ""); err == nil {
		t.Fatal("a submit whose approval card failed succeeded")
	}
	keys, _ := h.st.List(ctx, "req:")
	if len(keys) != 1 {
		t.Fatalf("%d requests stored", len(keys))
	}
	got, err := h.svc.Get(ctx, strings.TrimPrefix(keys[0], "req:"))
	if err != nil || got.State != StateFailed || !strings.HasPrefix(got.Failure, "The approval message could not be posted") {
		t.Fatalf("stored %s, failure %q (%v)", got.State, got.Failure, err)
	}
}
