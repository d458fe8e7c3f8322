package bot

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

func TestSweepExpiresAndResumes(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		ctx := context.Background()
		waiting := h.mustSubmit("bob", "")
		crashed := h.mustSubmit("alice", "")
		h.svc.afterStep = func(step string) error {
			if step == "set_password" {
				runtime.Goexit() // the worker dies mid-reset
			}
			return nil
		}
		done := make(chan struct{})
		go func() { defer close(done); _, _ = h.svc.Approve(ctx, crashed.ID, approver) }()
		<-done
		sweeper := h.replica(h.st)
		if n, err := sweeper.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("inside the lease and before expiry nothing moves: %d %v", n, err)
		}
		h.clock.add(61 * time.Minute)
		n, err := sweeper.Sweep(ctx)
		if err != nil || n != 2 {
			t.Fatalf("sweep moved %d, %v; want 2", n, err)
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
	})
}
