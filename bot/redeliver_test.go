package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// approveJob is the job a click on Approve by approver queues.
func approveJob(id string, delivery int) Job {
	return Job{Action: ActionApprove, RequestID: id, Actor: approver, Where: "C-approvals", Delivery: delivery}
}

// count counts the chat calls of one kind ("whisper", "thread", "dm").
func (f *fakeChat) count(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.posts {
		if strings.HasPrefix(p, kind+" ") {
			n++
		}
	}
	return n
}

// A replica dies in the middle of an approval's job (its goroutine ends
// with nothing recorded but the steps done). The job delivered again to
// another replica says nothing while the dead one's lease holds, then
// resumes the reset without repeating a write or the ticket, and everyone
// is told once. Delivered once more after that, it does and says nothing.
// A second click (a first delivery) is still told it came too late.
func TestRedeliveredApproveResumesAndTellsOnce(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		ctx := context.Background()
		h.dieAt("ticket")
		r := h.mustSubmit("alice", "")
		dying(func() { h.svc.RunJob(ctx, approveJob(r.ID, 1)) })
		other := h.replica(h.st)

		other.RunJob(ctx, approveJob(r.ID, 2)) // inside the dead replica's lease
		if got, _ := other.Get(ctx, r.ID); got.State != StateExecuting || got.Attempts != 1 {
			t.Fatalf("within the lease the redelivery moved the request: %s, attempt %d", got.State, got.Attempts)
		}
		if n := h.chat.count("whisper"); n != 0 {
			t.Fatalf("the clicker was told something %d times:\n%s", n, h.chat.all())
		}

		h.clock.add(2 * time.Minute)
		other.RunJob(ctx, approveJob(r.ID, 2))
		got, _ := other.Get(ctx, r.ID)
		if got.State != StateDone {
			t.Fatalf("after the lease the redelivery left the request %s", got.State)
		}
		if h.dir.Calls.Unlock != 1 || h.dir.Calls.SetPassword != 1 || h.ticketCount() != 1 {
			t.Fatalf("unlocks %d sets %d tickets %d; want 1 1 1", h.dir.Calls.Unlock, h.dir.Calls.SetPassword, h.ticketCount())
		}
		threads, dms := h.chat.count("thread"), h.chat.count("dm")
		if threads != 1 || dms != 1 || h.chat.count("whisper") != 0 {
			t.Fatalf("thread %d, dm %d, whisper %d; want 1 1 0:\n%s", threads, dms, h.chat.count("whisper"), h.chat.all())
		}

		other.RunJob(ctx, approveJob(r.ID, 3))
		if h.chat.count("thread") != threads || h.chat.count("dm") != dms || h.chat.count("whisper") != 0 {
			t.Fatalf("a delivery after the end told someone again:\n%s", h.chat.all())
		}
		other.RunJob(ctx, approveJob(r.ID, 1)) // a real second click
		if h.chat.count("whisper") != 1 || !strings.Contains(h.chat.all(), "already approved") {
			t.Fatalf("a second click was not told it came too late:\n%s", h.chat.all())
		}
	})
}

// A job delivered again still tells its clicker when someone else decided
// first: that refusal is real, not the first delivery's own work.
func TestRedeliveredApproveAfterAnotherApproverIsTold(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	h.svc.RunJob(ctx, approveJob(r.ID, 1))
	j := approveJob(r.ID, 2)
	j.Actor = groupie
	h.svc.RunJob(ctx, j)
	if h.chat.count("whisper") != 1 || !strings.Contains(h.chat.all(), "already approved by") {
		t.Fatalf("the second approver was not told:\n%s", h.chat.all())
	}
	if h.dir.Calls.SetPassword != 1 {
		t.Fatalf("password set %d times", h.dir.Calls.SetPassword)
	}
}

// A reset asked to stop (its replica shuts down) stops at the next safe
// point: nobody is told anything, nothing is marked failed, and its lease
// ends at once, so the job delivered to another replica finishes it now,
// not after the lease, with every write done once.
func TestStoppedResetIsHandedBack(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		stop := make(chan struct{})
		ctx := WithStop(context.Background(), stop)
		h.svc.afterStep = func(step string) error {
			if step == "write" {
				close(stop) // the shutdown deadline, while the write was under way
			}
			return nil
		}
		r := h.mustSubmit("alice", "")
		h.svc.RunJob(ctx, approveJob(r.ID, 1))
		got, _ := h.svc.Get(context.Background(), r.ID)
		if got.State != StateExecuting || got.LeaseUntil.After(h.clock.now()) || !got.Steps.PasswordSet || got.Steps.Verified {
			t.Fatalf("stopped reset: %s, lease until %s (now %s), steps %+v", got.State, got.LeaseUntil, h.clock.now(), got.Steps)
		}
		if n := len(h.chat.posts); n != 2 || strings.Contains(h.audit.String(), "reset.failed") {
			t.Fatalf("a stopped reset told people or was audited failed:\n%s", h.chat.all())
		}
		other := h.replica(h.st)
		other.RunJob(context.Background(), approveJob(r.ID, 2))
		if got, _ := other.Get(context.Background(), r.ID); got.State != StateDone {
			t.Fatalf("the other replica left it %s", got.State)
		}
		if h.dir.Calls.SetPassword != 1 || h.dir.Calls.Unlock != 1 || h.chat.count("whisper") != 0 || h.chat.count("thread") != 1 {
			t.Fatalf("sets %d unlocks %d; chat:\n%s", h.dir.Calls.SetPassword, h.dir.Calls.Unlock, h.chat.all())
		}
	})
}

// denyJob is the job a click on Deny by approver queues.
func denyJob(id string, delivery int) Job {
	return Job{Action: ActionDeny, RequestID: id, Actor: approver, Where: "C-approvals", Delivery: delivery}
}

// A replica dies between recording a denial and telling anyone (decide
// alone is that moment). The Deny delivered again tells the thread and the
// requester, once; delivered once more it tells nobody. Without a
// redelivery, the sweeper tells them after the lease, once.
func TestAnUntoldDenialIsToldOnce(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		ctx := context.Background()
		_, _ = h.svc.Sweep(ctx) // the store's one backfill, out of the figures
		deniedUntold := func(account string) *Request {
			r := h.mustSubmit(account, "")
			if _, err := h.svc.decide(ctx, r.ID, approver, StateDenied, "call back first"); err != nil {
				t.Fatal(err)
			}
			if got := h.request(r.ID); got.State != StateDenied || !got.Steps.DenyPending {
				t.Fatalf("after the denial: %s, pending %t", got.State, got.Steps.DenyPending)
			}
			return r
		}
		told := func(what string, threads, dms int) {
			t.Helper()
			if h.chat.count("thread") != threads || h.chat.count("dm") != dms || h.chat.count("whisper") != 0 {
				t.Fatalf("%s: thread %d dm %d whisper %d, want %d %d 0:\n%s", what, h.chat.count("thread"), h.chat.count("dm"), h.chat.count("whisper"), threads, dms, h.chat.all())
			}
		}
		r := deniedUntold("alice")
		other := h.replica(h.st)
		other.RunJob(ctx, denyJob(r.ID, 2))
		told("redelivered", 1, 1)
		if got := h.request(r.ID); got.Steps.DenyPending || !strings.Contains(h.chat.all(), "Denied") {
			t.Fatalf("told, but still pending (%t) or no denial shown:\n%s", got.Steps.DenyPending, h.chat.all())
		}
		h.mustNotBeScheduled(r.ID, "told")
		other.RunJob(ctx, denyJob(r.ID, 3))
		told("delivered once more", 1, 1)

		b := deniedUntold("bob")
		h.mustSweep(h.svc, 0, 0, 1, "inside the lease")
		told("inside the lease", 1, 1)
		h.clock.add(2 * time.Minute)
		h.mustSweep(h.svc, 1, 1, 0, "past the lease")
		told("swept", 2, 2)
		h.mustNotBeScheduled(b.ID, "told by the sweeper")
		h.clock.add(2 * time.Minute)
		h.mustSweep(h.svc, 0, 0, 0, "again")
		told("swept again", 2, 2)
	})
}
