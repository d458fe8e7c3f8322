package bot

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

// TestABreakGlassWithNobodyToTellEndsInOneSave: a terminal's break glass
// has no chat to confirm in and no owner notice owed, so the done save
// records the confirmations as delivered and closes the request: the
// request is created (one deadline written) and saved once more, and
// leaves the due-set with that save, which writes no deadline of its own.
func TestABreakGlassWithNobodyToTellEndsInOneSave(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		counted := &schedules{Store: h.st}
		svc := h.serviceOn(counted, pickySink{h, jsonl.New(h.audit, nil)})
		r, err := svc.BreakGlass(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "alice", Reason: "Verified by call-back",
			Password: identity.NewSecret("Correct-Horse-Battery-9")})
		if err != nil || r.State != StateDone {
			t.Fatalf("break glass: %v", err)
		}
		h.settle()
		if _, err := h.st.Get(context.Background(), passwordKey(r.ID)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the typed password is still kept after the reset: %v", err)
		}
		stored := h.request(r.ID)
		if stored.version != 2 || !stored.Steps.Notified || !stored.Steps.ThreadSent || !stored.Steps.PrivateSent || stored.Steps.NotifyTries != 1 {
			t.Fatalf("stored version %d, steps %+v; want the done save, delivered, as version 2", stored.version, stored.Steps)
		}
		if n := counted.n.Load(); n != 1 {
			t.Fatalf("%d deadlines written; want the create's one", n)
		}
		h.mustNotBeScheduled(r.ID, "done with nobody to tell")
		if auditCount(h, "request.delivered") != 1 {
			t.Fatalf("trail:\n%s", h.audit.String())
		}
	})
}

// movedDeadline is a store on which a sweeper moves the deadline of the
// running reset (woken early) just before its done save.
type movedDeadline struct {
	store.Store
	h    *harness
	done bool
}

func (m *movedDeadline) CompareAndSwap(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) (store.Record, error) {
	if !m.done {
		if r, err := m.h.svc.repo.open(key[len("req:"):], store.Record{Version: version + 1, Value: value}); err == nil && r.State == StateDone {
			m.done = true
			if at, ok := m.h.deadlineOf(r.ID); ok {
				_, _ = m.Store.Reschedule(ctx, dueSet, r.ID, at, at.Add(time.Minute))
			}
		}
	}
	return m.Store.CompareAndSwap(ctx, key, version, value, ttl)
}

// TestADeadlineMovedUnderADoneResetStillLeaves: the done save takes out
// the deadline its copy knows; one a sweeper moved meanwhile is not that
// one, and is then set due and taken out all the same, so no finished
// reset lingers in the due-set, counted as open.
func TestADeadlineMovedUnderADoneResetStillLeaves(t *testing.T) {
	h := newHarness(t, nil)
	m := &movedDeadline{Store: h.st, h: h}
	svc := h.serviceOn(m, pickySink{h, jsonl.New(h.audit, nil)})
	r, err := svc.BreakGlass(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "alice", Reason: "Verified by call-back"})
	if err != nil || r.State != StateDone || !m.done {
		t.Fatalf("break glass: %v (deadline moved: %t)", err, m.done)
	}
	h.mustNotBeScheduled(r.ID, "done after its deadline moved")
}

// TestADoneSaveThatFailsKeepsTheTypedPassword: the password a worker
// taking over would need is dropped only once the done save is in.
func TestADoneSaveThatFailsKeepsTheTypedPassword(t *testing.T) {
	h, flaky, svc := flakyHarness(t)
	flaky.conflicts["req:"] = 1 // the first swap of a request record, the done save, loses
	r, err := svc.BreakGlass(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "alice", Reason: "Verified by call-back",
		Password: identity.NewSecret("Correct-Horse-Battery-9")})
	if err != nil || r.State != StateDone || h.dir.Calls.SetPassword != 1 {
		t.Fatalf("break glass: %v", err)
	}
	if stored := h.request(r.ID); stored.State != StateExecuting {
		t.Fatalf("stored %s; want the done save refused", stored.State)
	}
	if _, err := h.st.Get(context.Background(), passwordKey(r.ID)); err != nil {
		t.Fatalf("the typed password was dropped although the done save failed: %v", err)
	}
}

// heldCleanUps holds a closing save's clean-ups (the deadline's removal,
// the typed password's drop) until let is closed.
type heldCleanUps struct {
	store.Store
	let chan struct{}
}

func (s heldCleanUps) Unschedule(ctx context.Context, set, member string, at time.Time) (bool, error) {
	<-s.let
	return s.Store.Unschedule(ctx, set, member, at)
}

func (s heldCleanUps) Delete(ctx context.Context, key string) error {
	<-s.let
	return s.Store.Delete(ctx, key)
}

// A break glass with nobody to tell answers once its done save is in: its
// clean-ups run detached (the reset returns while they are held), and
// once they may run, nothing of the request is left but its record.
func TestABreakGlassAnswersBeforeItsCleanUps(t *testing.T) {
	h := newHarness(t, nil)
	st := heldCleanUps{Store: h.st, let: make(chan struct{})}
	svc := h.serviceOn(st, jsonl.New(h.audit, nil))
	answered := make(chan *Request, 1)
	go func() {
		r, err := svc.BreakGlass(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "alice", Reason: "Verified by call-back",
			Password: identity.NewSecret("Correct-Horse-Battery-9")})
		if err != nil {
			t.Error(err)
		}
		answered <- r
	}()
	var r *Request
	select {
	case r = <-answered:
	case <-time.After(5 * time.Second):
		close(st.let)
		t.Fatal("the break glass waited for its clean-ups")
	}
	if r == nil || r.State != StateDone {
		t.Fatalf("answered with %+v", r)
	}
	close(st.let)
	h.mustNotBeScheduled(r.ID, "done, its clean-ups run")
	if _, err := h.st.Get(context.Background(), passwordKey(r.ID)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the typed password is kept after the clean-ups: %v", err)
	}
}
