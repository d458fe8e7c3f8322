package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/redisstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

// Two approvers click at the same moment, on two replicas with their own
// Redis connections: exactly one reset runs.
func TestConcurrentApprovalsExecuteOnce(t *testing.T) {
	first := storetest.NewRedisStore(t)
	second, err := redisstore.New(redisstore.Options{URL: storetest.RedisURL(t), Prefix: first.Prefix()})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	h := newHarness(t, first)
	h.org.Approvers = append(h.org.Approvers, "test:U3")
	svcA, svcB := h.replica(first), h.replica(second)
	ctx := context.Background()
	for round := 0; round < 10; round++ {
		h.dir.Lock("alice")
		before := h.dir.Calls.SetPassword
		r, err := svcA.Submit(ctx, Submission{Requester: tech, OrgID: "acme", Account: "alice", Temporary: true, Reason: "verified by call-back"})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, c := range []struct {
			svc *Service
			who Actor
		}{{svcA, approver}, {svcB, other}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = c.svc.Approve(ctx, r.ID, c.who)
			}()
		}
		wg.Wait()
		ok := 0
		for _, e := range errs {
			if e == nil {
				ok++
			} else if KindOf(e) != KindConflict {
				t.Fatalf("round %d: loser got %v, want a conflict", round, e)
			}
		}
		if ok != 1 || h.dir.Calls.SetPassword-before != 1 {
			t.Fatalf("round %d: %d approvals succeeded, %d resets ran; want 1 and 1", round, ok, h.dir.Calls.SetPassword-before)
		}
		// The limit is 3 per day; move the clock so every round may reset.
		h.clock.add(25 * 60 * 60 * 1e9)
	}
}

// A failure injected right after the directory write stops the reset;
// Retry finishes it without writing twice or creating a second ticket.
func TestRetryAfterInjectedFailureSkipsDoneSteps(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		ctx := context.Background()
		boom := errors.New("injected failure")
		h.svc.afterStep = func(step string) error {
			if step == "write" {
				return errorf("test", KindUnavailable, boom, "Injected failure.")
			}
			return nil
		}
		r := h.mustSubmit("alice", "")
		r, err := h.svc.Approve(ctx, r.ID, approver)
		if !errors.Is(err, boom) || r.State != StateFailed || !r.Retryable || !r.Steps.Unlocked || !r.Steps.PasswordSet || r.Steps.Verified {
			t.Fatalf("after injected failure: err %v state %s steps %+v", err, r.State, r.Steps)
		}
		h.svc.afterStep = nil
		r, err = h.svc.Retry(ctx, r.ID, tech)
		if err != nil || r.State != StateDone {
			t.Fatalf("retry: %v %v", err, r)
		}
		if h.dir.Calls.Unlock != 1 || h.dir.Calls.SetPassword != 1 || h.ticketCount() != 1 {
			t.Fatalf("unlocks %d sets %d tickets %d; want 1 1 1", h.dir.Calls.Unlock, h.dir.Calls.SetPassword, h.ticketCount())
		}
		if r.Attempts != 2 {
			t.Fatalf("attempts %d", r.Attempts)
		}
	})
}

// A worker dies mid-reset (its goroutine ends with nothing recorded but the
// steps already saved: here the ticket is made, its outcome not yet saved,
// and, a first try saving no intent for it, nothing since the write's
// intent). When its lease runs out another replica takes over and
// completes without repeating the unlock, the password or the ticket
// (found by its key).
func TestCrashedExecutorIsTakenOver(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		ctx := context.Background()
		h.dieAt("ticket")
		r := h.mustSubmit("alice", "")
		dying(func() { _, _ = h.svc.Approve(ctx, r.ID, approver) })
		got, _ := h.svc.Get(ctx, r.ID)
		if got.State != StateExecuting || !got.Steps.WriteIntent || got.Steps.TicketIntent || got.Steps.TicketID != "" || h.ticketCount() != 1 {
			t.Fatalf("after crash: %s %+v, %d tickets", got.State, got.Steps, h.ticketCount())
		}
		other := h.replica(h.st)
		if _, err := other.Execute(ctx, r.ID); KindOf(err) != KindConflict {
			t.Fatalf("takeover inside the lease: %v", err)
		}
		h.clock.add(2 * 60 * 1e9)
		got, err := other.Execute(ctx, r.ID)
		if err != nil || got.State != StateDone || !slices.Contains(got.Steps.Recovered, "ticket") || !slices.Contains(got.Steps.Recovered, "write") {
			t.Fatalf("takeover: %v (recovered %v)", err, got.Steps.Recovered)
		}
		if h.dir.Calls.Unlock != 1 || h.dir.Calls.SetPassword != 1 || h.ticketCount() != 1 {
			t.Fatalf("unlocks %d sets %d tickets %d; want 1 1 1", h.dir.Calls.Unlock, h.dir.Calls.SetPassword, h.ticketCount())
		}
		pw, _, err := other.RevealPassword(ctx, r.ID, tech)
		if u, _ := h.dir.User("alice"); err != nil || pw.Reveal() != u.Password {
			t.Fatal("the password revealed after takeover is not the one set")
		}
	})
}

// A worker that stalls past its lease while another takes the reset over
// must not mark the other's run as failed when it wakes up.
func TestStalledWorkerDoesNotFailTheTakeover(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		ctx := context.Background()
		other := h.replica(h.st)
		h.svc.afterStep = func(step string) error {
			if step == "write" {
				h.clock.add(3 * time.Minute) // A stalls past its lease…
				if r, err := other.Execute(ctx, h.lastID); err != nil || r.State != StateDone {
					t.Errorf("takeover: %v", err) // …and B completes the reset
				}
			}
			return nil
		}
		r := h.mustSubmit("alice", "")
		h.lastID = r.ID
		_, err := h.svc.Approve(ctx, r.ID, approver)
		if KindOf(err) != KindConflict {
			t.Fatalf("the stalled worker should learn it lost the request: %v", err)
		}
		got, _ := other.Get(ctx, r.ID)
		if got.State != StateDone || got.Retryable {
			t.Fatalf("after the stalled worker woke: %s retryable=%t", got.State, got.Retryable)
		}
		if strings.Contains(h.audit.String(), "reset.failed") || h.dir.Calls.SetPassword != 1 {
			t.Fatalf("failed audited or password set %d times", h.dir.Calls.SetPassword)
		}
		// The stalled worker stopped at its next step's lease check: the
		// read-back its write started (readBackSoon) is all it did past the
		// write, and only the worker that took over recorded one.
		if n := strings.Count(h.audit.String(), `"type":"reset.verified"`); n != 1 {
			t.Fatalf("%d read-backs recorded, want 1 (the stalled worker went on past its lost lease)", n)
		}
		if n := h.dir.Counts().Verify; n > 2 {
			t.Fatalf("the account was read back %d times, want at most the takeover's and the stalled write's own", n)
		}
	})
}
