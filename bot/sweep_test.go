package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

func TestSweepExpiresAndResumes(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		ctx := context.Background()
		waiting := h.mustSubmit("bob", "")
		crashed := h.mustSubmit("alice", "")
		h.approveAndCrash(crashed.ID, "write") // the worker dies mid-reset
		sweeper := h.replica(h.st)
		if sweeper.LastSweep() != (SweepStats{}) {
			t.Fatal("sweep figures before any sweep")
		}
		if n, err := sweeper.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("inside the lease and before expiry nothing moves: %d %v", n, err)
		}
		if st := sweeper.LastSweep(); st.Read != 2 || st.Open != 2 || st.Moved != 0 {
			t.Fatalf("first sweep figures %+v, want 2 read (the backfill sets every request due), 2 open, none moved", st)
		}
		h.clock.add(3 * time.Minute) // past the lease: the dead worker's reset is resumed
		n, err := sweeper.Sweep(ctx)
		if err != nil || n != 1 {
			t.Fatalf("sweep moved %d, %v; want 1", n, err)
		}
		h.clock.add(58 * time.Minute) // past the approval window: the undecided one expires
		if n, err := sweeper.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("second sweep moved %d, %v; want 1", n, err)
		}
		if r, _ := sweeper.Get(ctx, waiting.ID); r.State != StateExpired {
			t.Fatalf("undecided request is %s", r.State)
		}
		r, _ := sweeper.Get(ctx, crashed.ID)
		if r.State != StateDone || h.dir.Calls.SetPassword != 1 || h.dir.Calls.Unlock != 1 || h.ticketCount() != 1 {
			t.Fatalf("resumed reset: %s, sets %d unlocks %d tickets %d", r.State, h.dir.Calls.SetPassword, h.dir.Calls.Unlock, h.ticketCount())
		}
		if n, _ := sweeper.Sweep(ctx); n != 0 {
			t.Fatalf("a second sweep moved %d", n)
		}
		if st := sweeper.LastSweep(); st.Read != 0 || st.Open != 0 || st.Moved != 0 {
			t.Fatalf("last sweep figures %+v, want none read (finished requests are not in the due-set), none open", st)
		}
	})
}

// A worker that died between "done" and the messages: the sweeper tells
// the requester (with the Reveal button) and updates the card.
func TestSweepNotifiesAfterACrashBeforeTheMessages(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	got, _ := h.svc.Get(ctx, r.ID)
	// As if the worker died right after saving "done" and posting in the
	// thread, before the private message.
	got.Steps.Notified, got.Steps.PrivateSent, got.Steps.NotifyTries = false, false, 0
	if err := h.svc.repo.save(ctx, got); err != nil {
		t.Fatal(err)
	}
	before, threadBefore := strings.Count(h.chat.all(), "unlockbot.reveal"), strings.Count("\n"+h.chat.all(), "\nthread ")
	h.clock.add(3 * time.Minute)
	if n, err := h.svc.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	if strings.Count(h.chat.all(), "unlockbot.reveal") != before+1 {
		t.Fatal("the requester did not get the Reveal button again")
	}
	if strings.Count("\n"+h.chat.all(), "\nthread ") != threadBefore {
		t.Fatal("the thread confirmation, recorded as sent, went out again")
	}
	if n, _ := h.svc.Sweep(ctx); n != 0 {
		t.Fatal("notified twice")
	}
}

func TestRetryNeedsAFreshApproval(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	h.dir.FailNext("SetPassword", identity.E("test", identity.KindUnavailable, "The directory did not answer in time.", identity.ErrUnavailable))
	if r, _ = h.svc.Approve(ctx, r.ID, approver); !r.Retryable {
		t.Fatal("not retryable")
	}
	h.clock.add(61 * time.Minute)
	if _, err := h.svc.Retry(ctx, r.ID, tech); KindOf(err) != KindConflict || !strings.Contains(SafeMessage(err), "new request") {
		t.Fatalf("retry of a stale approval: %v", err)
	}
	if h.dir.Calls.SetPassword != 0 {
		t.Fatal("the stale retry reset the password")
	}
}

// A request that never reached an approver (its move to pending was not
// saved) is failed by the sweeper once its deadline passes, with a
// sentence that says so, and is not retryable.
func TestSweepFailsARequestThatNeverReachedAnApprover(t *testing.T) {
	h, flaky, svc := flakyHarness(t)
	ctx := context.Background()
	flaky.fail["CompareAndSwap:req:"] = errors.New("redis: connection reset")
	if _, err := submitOn(svc, "alice"); KindOf(err) != KindUnavailable {
		t.Fatalf("submit on a store refusing saves: %v", err)
	}
	delete(flaky.fail, "CompareAndSwap:req:")
	h.clock.add(2 * time.Hour)
	if n, err := svc.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep moved %d: %v", n, err)
	}
	keys, _ := h.st.List(ctx, "req:")
	if len(keys) != 1 {
		t.Fatalf("%d requests stored", len(keys))
	}
	got, err := svc.Get(ctx, strings.TrimPrefix(keys[0], "req:"))
	if err != nil || got.State != StateFailed || got.Retryable || got.Failure != "This request never reached an approver. Submit it again." {
		t.Fatalf("after the sweep: %+v (%v)", got, err)
	}
	if auditCount(h, "request.failed") != 1 {
		t.Fatalf("audit trail: %s", h.audit.String())
	}
}

// TestSweepLeavesConfirmationsToTheirWorker: a worker waiting on a busy
// channel's pace holds the confirmations' lease; the sweeper sends
// nothing until that lease is over (two senders would post twice).
func TestSweepLeavesConfirmationsToTheirWorker(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	got, _ := h.svc.Get(ctx, r.ID)
	// As if a worker began sending at this moment and is still waiting.
	got.Steps.Notified, got.Steps.ThreadSent, got.Steps.PrivateSent, got.Steps.NotifyTries = false, false, false, 0
	got.Steps.NotifyUntil = h.clock.now().Add(notifyLease)
	if err := h.svc.repo.save(ctx, got); err != nil {
		t.Fatal(err)
	}
	threads := func() int { return strings.Count("\n"+h.chat.all(), "\nthread ") }
	before := threads()
	h.clock.add(notifyLease - time.Second) // past the lease of the reset, not of the sending
	if _, err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if threads() != before {
		t.Fatal("the sweeper sent a confirmation a live worker was sending")
	}
	h.clock.add(2 * time.Second)
	if _, err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if threads() != before+1 {
		t.Fatalf("after the worker's lease the sweeper did not send the confirmation (%d → %d)", before, threads())
	}
}
