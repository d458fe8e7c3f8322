package bot

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot/store"
)

// Tests of the sweeper's due-set: each save puts the request's next
// deadline there, and a sweep reads only what is due.

func TestNextDeadlineOfEachKind(t *testing.T) {
	const lease = time.Minute
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	base := Request{UpdatedAt: at(0), ExpiresAt: at(60), LeaseUntil: at(5)}
	for _, c := range []struct {
		name  string
		edit  func(r *Request)
		want  time.Time
		isDue bool
	}{
		{"submitted: its approval deadline", func(r *Request) { r.State = StateSubmitted }, at(60), true},
		{"pending: its approval deadline", func(r *Request) { r.State = StatePendingApproval }, at(60), true},
		{"approved: a lease after the approval", func(r *Request) { r.State = StateApproved }, at(1), true},
		{"executing: its lease", func(r *Request) { r.State = StateExecuting }, at(5), true},
		{"done, not told: a lease after", func(r *Request) { r.State = StateDone }, at(1), true},
		{"done, ticket pending: its retry", func(r *Request) {
			r.State, r.Steps.Notified, r.Steps.TicketPending, r.Steps.TicketRetryAt = StateDone, true, true, at(7)
		}, at(7), true},
		{"done, not told, ticket due later: the telling", func(r *Request) {
			r.State, r.Steps.TicketPending, r.Steps.TicketRetryAt = StateDone, true, at(7)
		}, at(1), true},
		{"done, not told, ticket due sooner: the ticket", func(r *Request) {
			r.UpdatedAt = at(10)
			r.State, r.Steps.TicketPending, r.Steps.TicketRetryAt = StateDone, true, at(7)
		}, at(7), true},
		{"done and told", func(r *Request) { r.State, r.Steps.Notified = StateDone, true }, time.Time{}, false},
		{"failed", func(r *Request) { r.State = StateFailed }, time.Time{}, false},
		{"denied", func(r *Request) { r.State = StateDenied }, time.Time{}, false},
		{"denied, nobody told: a lease after", func(r *Request) { r.State, r.Steps.DenyPending = StateDenied, true }, at(1), true},
		{"expired", func(r *Request) { r.State = StateExpired }, time.Time{}, false},
	} {
		r := base
		c.edit(&r)
		if got, ok := nextDeadline(&r, lease); ok != c.isDue || !got.Equal(c.want) {
			t.Errorf("%s: %v %t, want %v %t", c.name, got, ok, c.want, c.isDue)
		}
	}
}

// mustSweep sweeps on svc and checks how many it moved and read, and how
// many stay open.
func (h *harness) mustSweep(svc *Service, moved, read, open int, what string) {
	h.t.Helper()
	n, err := svc.Sweep(context.Background())
	if st := svc.LastSweep(); err != nil || n != moved || st.Read != read || st.Open != open {
		h.t.Fatalf("%s: sweep moved %d (%v), figures %+v; want %d moved, %d read, %d open", what, n, err, st, moved, read, open)
	}
}

// approveAndCrash approves id on h.svc, whose worker dies after step.
func (h *harness) approveAndCrash(id, step string) {
	h.t.Helper()
	h.svc.afterStep = func(s string) error {
		if s == step {
			runtime.Goexit()
		}
		return nil
	}
	done := make(chan struct{})
	go func() { defer close(done); _, _ = h.svc.Approve(context.Background(), id, approver) }()
	<-done
	h.svc.afterStep = nil
}

// deadlineOf is id's deadline in the due-set (false: not there).
func (h *harness) deadlineOf(id string) (time.Time, bool) {
	h.t.Helper()
	due, err := h.st.Due(context.Background(), dueSet, h.clock.now().Add(1000*time.Hour), 0, 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, d := range due {
		if d.Member == id {
			return d.At, true
		}
	}
	return time.Time{}, false
}

// mustDeadline: id is due at want, or a microsecond before (a save that
// set the same deadline again, store.DueSet.Schedule).
func (h *harness) mustDeadline(id string, want time.Time, what string) {
	h.t.Helper()
	if got, ok := h.deadlineOf(id); !ok || got.UnixMicro() != want.UnixMicro() && got.UnixMicro() != want.UnixMicro()-1 {
		h.t.Fatalf("%s: deadline %v (%t), want %v", what, got, ok, want)
	}
}

func (h *harness) mustNotBeScheduled(id, what string) {
	h.t.Helper()
	h.settle()
	if got, ok := h.deadlineOf(id); ok {
		h.t.Fatalf("%s: still scheduled at %v", what, got)
	}
}

// Every save sets the deadline of the state it writes, and an ended
// request leaves the set.
func TestSavesScheduleTheNextDeadline(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		ctx := context.Background()
		waiting := h.mustSubmit("bob", "")
		h.mustDeadline(waiting.ID, waiting.ExpiresAt, "pending")
		if _, err := h.svc.Deny(ctx, waiting.ID, approver, "call back first"); err != nil {
			t.Fatal(err)
		}
		h.mustNotBeScheduled(waiting.ID, "denied")

		r := h.mustSubmit("alice", "")
		h.approveAndCrash(r.ID, "write")
		got := h.request(r.ID)
		if got.State != StateExecuting {
			t.Fatalf("state %s", got.State)
		}
		h.mustDeadline(r.ID, got.LeaseUntil, "executing")
		h.clock.add(2 * time.Minute)
		h.mustSweep(h.svc, 1, 1, 0, "past the lease")
		if h.request(r.ID).State != StateDone {
			t.Fatal("not resumed")
		}
		h.mustNotBeScheduled(r.ID, "done and told")
		if n, _ := h.st.Scheduled(ctx, dueSet); n != 0 {
			t.Fatalf("%d members left", n)
		}
	})
}

// A deadline set early (a save that never landed, or a stale one) makes
// the sweep read the request, find nothing due and set the real one.
func TestSweepReschedulesAnEarlyDeadline(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		ctx := context.Background()
		_, _ = h.svc.Sweep(ctx) // the backfill, out of the way
		r := h.mustSubmit("bob", "")
		if _, err := h.st.Schedule(ctx, dueSet, r.ID, h.clock.now()); err != nil {
			t.Fatal(err)
		}
		h.mustSweep(h.svc, 0, 1, 1, "the early deadline")
		h.mustDeadline(r.ID, r.ExpiresAt, "after the sweep")
		h.mustSweep(h.svc, 0, 0, 1, "before its deadline")
		h.clock.add(61 * time.Minute)
		h.mustSweep(h.svc, 1, 1, 0, "past its deadline")
		if h.request(r.ID).State != StateExpired {
			t.Fatal("not expired at its deadline")
		}
		h.mustNotBeScheduled(r.ID, "expired")
	})
}

// A crash between the schedule and the save: the deadline is there, the
// state it belongs to is not. The sweep finds nothing to do and sets the
// deadline of the state that was saved; a create that never landed is
// dropped.
func TestCrashBetweenScheduleAndSave(t *testing.T) {
	h, flaky, svc := flakyHarness(t)
	ctx := context.Background()
	_, _ = svc.Sweep(ctx)
	r, err := submitOn(svc, "bob")
	if err != nil {
		t.Fatal(err)
	}
	flaky.fail["CompareAndSwap:req:"] = errors.New("redis: connection reset")
	if _, err := svc.Deny(ctx, r.ID, approver, "no"); err == nil {
		t.Fatal("a deny that was not saved succeeded")
	}
	if _, ok := h.deadlineOf(r.ID); !ok {
		t.Fatal("the deny's deadline was taken out though its save failed")
	}
	flaky.fail["Create:req:"] = errors.New("redis: connection reset")
	if _, err := submitOn(svc, "alice"); KindOf(err) != KindUnavailable {
		t.Fatalf("submit on a store refusing creates: %v", err)
	}
	clear(flaky.fail)
	if n, _ := h.st.Scheduled(ctx, dueSet); n != 2 {
		t.Fatalf("%d scheduled, want bob and the request never created", n)
	}
	h.clock.add(2 * time.Minute) // past the deny's deadline (a lease, for telling it)
	h.mustSweep(svc, 0, 1, 2, "bob's deny never saved")
	if h.request(r.ID).State != StatePendingApproval {
		t.Fatal("state changed")
	}
	h.mustDeadline(r.ID, r.ExpiresAt, "bob after the sweep")
	h.clock.add(61 * time.Minute)
	h.mustSweep(svc, 1, 2, 0, "bob expired, the never-created request dropped")
}

// A failed schedule fails the save: a state the sweeper does not know of
// is never written.
func TestScheduleFailureStopsTheSave(t *testing.T) {
	h, flaky, svc := flakyHarness(t)
	ctx := context.Background()
	r, err := submitOn(svc, "bob")
	if err != nil {
		t.Fatal(err)
	}
	flaky.fail["Schedule:"+dueSet] = errors.New("redis: connection reset")
	if _, err := svc.Deny(ctx, r.ID, approver, "no"); KindOf(err) != KindUnavailable {
		t.Fatalf("deny with the due-set down: %v", err)
	}
	if got := h.request(r.ID); got.State != StatePendingApproval {
		t.Fatalf("saved as %s without its deadline", got.State)
	}
}

// A crash after an ended request's save, before it left the set: the
// next sweep drops it.
func TestSweepDropsAnEndedRequestLeftInTheSet(t *testing.T) {
	h, flaky, svc := flakyHarness(t)
	ctx := context.Background()
	_, _ = svc.Sweep(ctx)
	r, _ := submitOn(svc, "bob")
	flaky.fail["Unschedule:"+dueSet] = errors.New("redis: connection reset")
	if _, err := svc.Deny(ctx, r.ID, approver, "no"); err != nil {
		t.Fatal(err)
	}
	clear(flaky.fail)
	if _, ok := h.deadlineOf(r.ID); !ok {
		t.Fatal("test setup: the denied request left the set")
	}
	h.mustSweep(svc, 0, 1, 0, "the ended request left behind")
	h.mustNotBeScheduled(r.ID, "after the sweep")
}

// hookStore runs afterGet once a request record has been read: another
// replica acting between the sweeper's read and its move.
type hookStore struct {
	store.Store
	afterGet func(key string)
}

func (s hookStore) Get(ctx context.Context, key string) (store.Record, error) {
	rec, err := s.Store.Get(ctx, key)
	if s.afterGet != nil && strings.HasPrefix(key, "req:") {
		s.afterGet(key)
	}
	return rec, err
}

// A sweeper deciding on the copy it read does not undo a deadline a
// writer set after the read: neither by dropping it (the request had
// ended in its copy) nor by moving it (the request was not due yet).
func TestSweepKeepsADeadlineSetSinceItsRead(t *testing.T) {
	for _, c := range []struct {
		name string
		end  bool // the sweeper's copy has ended
	}{{"drop", true}, {"move", false}} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil)
			ctx := context.Background()
			_, _ = h.svc.Sweep(ctx)
			r := h.mustSubmit("bob", "")
			if c.end {
				if _, err := h.svc.Deny(ctx, r.ID, approver, "no"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := h.st.Schedule(ctx, dueSet, r.ID, h.clock.now()); err != nil { // a stale deadline, due
				t.Fatal(err)
			}
			writer := h.clock.now().Add(3 * time.Minute)
			hooked := hookStore{Store: h.st}
			hooked.afterGet = func(string) {
				if _, err := h.st.Schedule(ctx, dueSet, r.ID, writer); err != nil { // a writer's save, before its CAS
					t.Error(err)
				}
			}
			sweeper := h.replica(hooked)
			if _, err := sweeper.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			h.mustDeadline(r.ID, writer, "the writer's deadline after the sweep")
		})
	}
}

// Due deadlines are read a page at a time, every page, up to the most
// one sweep reads; the next sweep reads the rest.
func TestSweepReadsEveryPage(t *testing.T) {
	h := newHarness(t, nil)
	h.limits = Limits{OpenPerTechnician: 10, PerTechnicianPerHour: 10}
	h.svc = h.replica(h.st)
	h.svc.duePage = 2
	for range 5 {
		h.mustSubmit("bob", "")
	}
	h.clock.add(61 * time.Minute)
	h.mustSweep(h.svc, 5, 5, 0, "pages of 2")
	for range 5 {
		h.mustSubmit("bob", "")
	}
	h.clock.add(61 * time.Minute)
	h.svc.dueMax = 3
	h.mustSweep(h.svc, 3, 3, 2, "at most 3 a sweep")
	h.mustSweep(h.svc, 2, 2, 0, "the rest")
}

// A done reset whose ticket update is pending waits in the set for its
// retry, and leaves it when the update goes through.
func TestTicketRetryIsScheduled(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	_, _ = h.svc.Sweep(ctx) // the backfill, out of the way
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	got := h.request(r.ID)
	got.Steps.TicketPending, got.Steps.TicketRetryAt = true, h.clock.now().Add(5*time.Minute)
	if err := h.svc.repo.save(ctx, got); err != nil {
		t.Fatal(err)
	}
	h.mustDeadline(r.ID, got.Steps.TicketRetryAt, "ticket pending")
	h.clock.add(4 * time.Minute)
	h.mustSweep(h.svc, 0, 0, 1, "before the retry is due")
	h.clock.add(2 * time.Minute)
	h.mustSweep(h.svc, 1, 1, 0, "the due retry")
	h.mustNotBeScheduled(r.ID, "ticket updated")
}

// schedules counts the due-set writes a store takes.
type schedules struct {
	store.Store
	n atomic.Int32
}

func (s *schedules) Schedule(ctx context.Context, set, member string, at time.Time) (time.Time, error) {
	s.n.Add(1)
	return s.Store.Schedule(ctx, set, member, at)
}

// countingSchedules is a service of h counting its due-set writes, and a
// request of bob's submitted on it, the count then set back to zero.
func (h *harness) countingSchedules() (*Service, *schedules, *Request) {
	h.t.Helper()
	counted := &schedules{Store: h.st}
	svc := h.serviceOn(counted, pickySink{h, jsonl.New(h.audit, nil)})
	r, err := submitOn(svc, "bob")
	if err != nil {
		h.t.Fatal(err)
	}
	counted.n.Store(0)
	return svc, counted, r
}

// TestRunningResetKeepsItsFirstDeadline: the lease renewals of a running
// reset move its deadline only later, so they leave the one scheduled when
// it started: a reset costs a few due-set writes, not one per step. A
// worker that dies after many steps is still taken over: the sweeper,
// woken early by the kept deadline, finds the lease held, moves the
// deadline to it, and resumes the reset once it runs out.
func TestRunningResetKeepsItsFirstDeadline(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		svc, counted, r := h.countingSchedules()
		steps := 0
		svc.afterStep = func(step string) error {
			steps++
			h.clock.add(h.svc.lease/2 + time.Second) // each step finds the lease past its half and renews it
			if step == "ticket" {
				runtime.Goexit()
			}
			return nil
		}
		dying(func() { _, _ = svc.Approve(context.Background(), r.ID, approver) })
		svc.afterStep = nil
		got := h.request(r.ID)
		if got.State != StateExecuting || !got.Steps.PasswordSet {
			t.Fatalf("after the crash: %s %+v", got.State, got.Steps)
		}
		if n := counted.n.Load(); steps < 4 || n > 3 {
			t.Fatalf("%d due-set writes over %d steps: the renewals should keep the first deadline", n, steps)
		}
		first, ok := h.deadlineOf(r.ID)
		if !ok || !first.Before(got.LeaseUntil) {
			t.Fatalf("kept deadline %v (%t), lease until %v: it should be the earlier one", first, ok, got.LeaseUntil)
		}
		h.clock.add(first.Add(time.Second).Sub(h.clock.now())) // the kept deadline passes; the lease still holds
		h.mustSweep(svc, 0, 1, 1, "early: the lease still holds")
		h.mustDeadline(r.ID, got.LeaseUntil, "moved to the lease")
		h.clock.add(got.LeaseUntil.Add(time.Second).Sub(h.clock.now()))
		h.mustSweep(svc, 1, 1, 0, "past the lease")
		if done := h.request(r.ID); done.State != StateDone || h.dir.Calls.SetPassword != 1 {
			t.Fatalf("after the takeover: %s, %d password writes", done.State, h.dir.Calls.SetPassword)
		}
	})
}

// releases counts the places given back among technicians' open requests.
type releases struct {
	store.Store
	n atomic.Int32
}

func (s *releases) Release(ctx context.Context, key, member string) error {
	s.n.Add(1)
	return s.Store.Release(ctx, key, member)
}

// TestAnEndedRequestGivesItsPlaceBackOnce: the technician's place among
// their open requests is given back by the save that ends the request, not
// again by each confirmation saved after it; and it is given back.
func TestAnEndedRequestGivesItsPlaceBackOnce(t *testing.T) {
	h := newHarness(t, nil)
	counted := &releases{Store: h.st}
	svc := h.serviceOn(counted, pickySink{h, jsonl.New(h.audit, nil)})
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(context.Background(), r.ID, approver); err != nil {
		t.Fatal(err)
	}
	h.settle() // the place is given back detached (saveDetached)
	if done := h.request(r.ID); done.State != StateDone || !done.Steps.Notified || counted.n.Load() != 1 {
		t.Fatalf("%s, told %t: %d places given back, want 1", done.State, done.Steps.Notified, counted.n.Load())
	}
	if _, n, err := h.st.Reserve(context.Background(), openKey(tech), "probe", h.clock.now(), time.Hour, 100); err != nil || n != 1 {
		t.Fatalf("the ended request still holds its place: %d open (%v)", n, err)
	}
}

// TestAGeneratedPasswordSurvivesATryStoppedBeforeItsWrite: the try that
// generated the password records that with its write's intent, not on its
// own; a try stopped between the two (here: the directory slot's store
// call fails) leaves the sealed password, and the retry sets that one.
func TestAGeneratedPasswordSurvivesATryStoppedBeforeItsWrite(t *testing.T) {
	h := newHarness(t, nil)
	h.org.MaxConcurrentWrites = 1 // before the replica copies the org
	flaky := newFlaky(h.st)
	h.st = flaky
	svc := h.replica(flaky)
	ctx := context.Background()
	r, err := submitOn(svc, "alice") // no password typed: one is generated
	if err != nil {
		t.Fatal(err)
	}
	flaky.fail["Reserve:dirslots:"] = errors.New("redis: connection reset")
	if _, err := svc.Approve(ctx, r.ID, approver); KindOf(err) != KindUnavailable {
		t.Fatalf("a try whose slot could not be taken: %v", err)
	}
	sealed, err := svc.repo.password(ctx, r.ID)
	if err != nil || h.dir.Calls.SetPassword != 0 {
		t.Fatalf("after the stopped try: sealed %v, %d password writes", err, h.dir.Calls.SetPassword)
	}
	clear(flaky.fail)
	if got, err := svc.Retry(ctx, r.ID, tech); err != nil || got.State != StateDone {
		t.Fatalf("retry: %v", err)
	}
	if u, _ := h.dir.User("alice"); u.Password != sealed.Reveal() || h.dir.Calls.SetPassword != 1 {
		t.Fatalf("the retry set another password than the one sealed first (%d writes)", h.dir.Calls.SetPassword)
	}
}

// TestAFinishedResetKeepsTheDeadlineItsApprovalSet: the done save moves the
// deadline only later (the confirmations' lease), as the claim did (the
// lease), so both leave the one the approval scheduled: until its
// confirmations are out, that is the reset's only due-set write.
// Confirmations that did not go out are still found: the sweeper, woken
// early by the kept deadline, finds their lease held, moves the deadline
// on and sends them once it runs out.
func TestAFinishedResetKeepsTheDeadlineItsApprovalSet(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		svc, counted, r := h.countingSchedules()
		h.chat.failTell = errors.New("chat is down")
		if got, err := svc.Approve(context.Background(), r.ID, approver); err != nil || got.State != StateDone {
			t.Fatalf("approve: %v", err)
		}
		got := h.request(r.ID)
		if got.Steps.ThreadSent || got.Steps.Notified {
			t.Fatalf("the confirmations went out with chat down: %+v", got.Steps)
		}
		if n := counted.n.Load(); n != 1 {
			t.Fatalf("%d due-set writes from the approval to done: want 1 (the approval's)", n)
		}
		due, ok := h.deadlineOf(r.ID)
		if want, _ := nextDeadline(got, svc.lease); !ok || due.After(want) {
			t.Fatalf("scheduled %v (%t): it must not be later than the record's %v", due, ok, want)
		}
		h.chat.failTell = nil
		want, _ := nextDeadline(got, svc.lease)
		h.clock.add(want.Add(time.Second).Sub(h.clock.now()))
		for range 3 { // early wake-ups move it on; the due one sends
			if _, err := svc.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
			if h.request(r.ID).Steps.ThreadSent {
				break
			}
		}
		if sent := h.request(r.ID); !sent.Steps.ThreadSent || !sent.Steps.PrivateSent {
			t.Fatalf("after the sweep: %+v", sent.Steps)
		}
	})
}
