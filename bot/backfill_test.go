package bot

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// writeUnscheduled stores r as a version without the due-set did: sealed,
// no deadline.
func (h *harness) writeUnscheduled(r Request) {
	h.t.Helper()
	b, _ := json.Marshal(r)
	b, _ = h.sealer.sealRecord(requestKey(r.ID), 1, b)
	if _, err := h.st.Create(context.Background(), requestKey(r.ID), b, requestTTL); err != nil {
		h.t.Fatal(err)
	}
}

// Requests written before the due-set are found by one backfill per
// store; later sweeps never list the store again.
func TestBackfillOncePerStore(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		ctx := context.Background()
		now := h.clock.now()
		old := Request{ID: "roldoldoldoldoldo", OrgID: "acme", Platform: "test", Requester: tech, State: StatePendingApproval,
			Account: AccountRef{ID: "CN=bob", Username: "bob"}, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Minute)}
		finished := old
		finished.ID, finished.State = "rfinishedfinished", StateDenied
		h.writeUnscheduled(old)
		h.writeUnscheduled(finished)
		if _, err := h.st.Create(ctx, "req:not an id", []byte("x"), time.Hour); err != nil {
			t.Fatal(err)
		}
		h.mustSweep(h.svc, 0, 1, 1, "first sweep: the old pending request due and kept, the denied one left out")
		h.mustDeadline(old.ID, old.ExpiresAt, "backfilled")
		if !strings.Contains(h.logs.String(), `"read":3,"open":1`) {
			t.Fatalf("the backfill's figures are not logged:\n%s", h.logs.String())
		}
		if !strings.Contains(h.audit.String(), `"why":"malformed key"`) {
			t.Fatalf("the backfill did not audit the malformed key:\n%s", h.audit.String())
		}

		// Another replica (its own process) sees the store is done.
		late := old
		late.ID = "rlatelatelatelate"
		h.writeUnscheduled(late)
		replica := h.replica(h.st)
		h.mustSweep(replica, 0, 0, 1, "a second replica, before the deadline")
		h.clock.add(2 * time.Minute)
		h.mustSweep(h.svc, 1, 1, 0, "the backfilled request past its deadline")
		if h.request(late.ID).State != StatePendingApproval {
			t.Fatal("a request written after the backfill was swept: the sweep listed the store again")
		}

		// Deleting the marker backfills again (after a rolling upgrade).
		if err := h.st.Delete(ctx, backfillKey); err != nil {
			t.Fatal(err)
		}
		fresh := h.replica(h.st)
		if n, err := fresh.Sweep(ctx); err != nil || n != 1 || h.request(late.ID).State != StateExpired {
			t.Fatalf("after deleting %s: %d moved, %v", backfillKey, n, err)
		}
	})
}

// A backfill cut short (the store failed) leaves no marker: the next
// sweep backfills.
func TestBackfillCutShortRunsAgain(t *testing.T) {
	h, flaky, svc := flakyHarness(t)
	ctx := context.Background()
	now := h.clock.now()
	old := Request{ID: "roldoldoldoldoldo", OrgID: "acme", Platform: "test", Requester: tech, State: StatePendingApproval,
		Account: AccountRef{ID: "CN=bob", Username: "bob"}, CreatedAt: now, UpdatedAt: now, ExpiresAt: now}
	h.writeUnscheduled(old)
	flaky.fail["Schedule:"+dueSet] = errors.New("redis: connection reset")
	if _, err := svc.Sweep(ctx); KindOf(err) != KindUnavailable {
		t.Fatalf("sweep with the due-set down: %v", err)
	}
	delete(flaky.fail, "Schedule:"+dueSet)
	flaky.fail["List:req:"] = errors.New("redis: connection reset")
	if _, err := svc.Sweep(ctx); KindOf(err) != KindUnavailable {
		t.Fatalf("sweep with the listing down: %v (the first backfill left a marker?)", err)
	}
	delete(flaky.fail, "List:req:")
	flaky.fail["Create:"+backfillKey] = errors.New("redis: connection reset")
	if _, err := svc.Sweep(ctx); KindOf(err) != KindUnavailable {
		t.Fatalf("sweep that could not mark the backfill done: %v", err)
	}
	delete(flaky.fail, "Create:"+backfillKey)
	h.clock.add(time.Second)
	if n, err := svc.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep after the store came back moved %d: %v", n, err)
	}
}
