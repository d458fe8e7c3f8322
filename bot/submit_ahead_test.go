package bot

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot/store"
)

// laying watches what a request that runs at once writes before its
// record: it signals the deadline's and the password's writes, counts the
// store's writes while open, and fails the deadline's write on demand.
type laying struct {
	store.Store
	mu                sync.Mutex
	scheduled, sealed chan struct{}
	open              bool
	during            []string // writes made while open
	failSchedule      int      // how many deadline writes fail, from the first
	failSeal          error
	failCreate        error // the request record's create
	inflight          sync.WaitGroup
}

func newLaying(st store.Store) *laying {
	return &laying{Store: st, scheduled: make(chan struct{}), sealed: make(chan struct{})}
}

func (s *laying) note(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open {
		s.during = append(s.during, what)
	}
}

func signal(c chan struct{}) {
	select {
	case <-c:
	default:
		close(c)
	}
}

// settled waits until both were written and no write is under way: what
// the store holds then is what the reset left.
func (s *laying) settled(t *testing.T) {
	t.Helper()
	waitClosed(t, s.scheduled, "the deadline was not written")
	waitClosed(t, s.sealed, "the sealed password was not written")
	s.inflight.Wait()
}

func (s *laying) Schedule(ctx context.Context, set, member string, at time.Time) (time.Time, error) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	s.note("schedule")
	signal(s.scheduled)
	s.mu.Lock()
	fail := s.failSchedule > 0
	s.failSchedule--
	s.mu.Unlock()
	if fail {
		return time.Time{}, errors.New("store: connection reset")
	}
	return s.Store.Schedule(ctx, set, member, at)
}

func (s *laying) Create(ctx context.Context, key string, value []byte, ttl time.Duration) (store.Record, error) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	s.note("create " + key[:strings.Index(key, ":")])
	if strings.HasPrefix(key, "pw:") {
		defer signal(s.sealed)
		if s.failSeal != nil {
			return store.Record{}, s.failSeal
		}
	}
	if strings.HasPrefix(key, "req:") && s.failCreate != nil {
		return store.Record{}, s.failCreate
	}
	return s.Store.Create(ctx, key, value, ttl)
}

func (s *laying) Delete(ctx context.Context, key string) error {
	s.inflight.Add(1)
	defer s.inflight.Done()
	return s.Store.Delete(ctx, key)
}

func (s *laying) Unschedule(ctx context.Context, set, member string, at time.Time) (bool, error) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	return s.Store.Unschedule(ctx, set, member, at)
}

func (s *laying) CompareAndSwap(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) (store.Record, error) {
	s.note("swap " + key[:strings.Index(key, ":")])
	return s.Store.CompareAndSwap(ctx, key, version, value, ttl)
}

func waitClosed(t *testing.T, c chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(5 * time.Second):
		t.Errorf("%s", what)
	}
}

// A break-glass reset writes its deadline and its sealed password while
// its account is read (the read waits here until both are in), and the
// only write between the read and the directory's write is the record.
func TestBreakGlassLaysDownBesideTheRead(t *testing.T) {
	h := newHarness(t, nil)
	st := newLaying(h.st)
	h.org.Directory = hookedDir{Directory: h.dir,
		onLookup: func() {
			waitClosed(t, st.scheduled, "the deadline was not written while the account was read")
			waitClosed(t, st.sealed, "the sealed password was not written while the account was read")
			// The read returns right after this hook: what follows is
			// between the read and the write.
			st.mu.Lock()
			st.open = true
			st.mu.Unlock()
		},
		onWrite: func() {
			st.mu.Lock()
			st.open = false
			st.mu.Unlock()
		}}
	r, err := breakGlassOn(h.replica(st), "alice", "Typed-Passw0rd-Ahead!")
	if err != nil || r.State != StateDone {
		t.Fatalf("break glass: %v", err)
	}
	// The daily limit's place and the week's unlocks are asked beside the
	// read too (Reserve, not counted here).
	if len(st.during) != 1 || st.during[0] != "create req" {
		t.Fatalf("writes between the read and the directory's write: %v; want only the record's create", st.during)
	}
	h.mustNotBeScheduled(r.ID, "done")
	if _, err := h.st.Get(context.Background(), passwordKey(r.ID)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the typed password outlived the reset: %v", err)
	}
}

// A break-glass reset the guard refuses, whose sealed password the store
// does not take, or whose submission the trail does not take (fail
// closed), leaves neither the deadline nor the password written beside
// its read, creates no request and writes nothing to the directory.
func TestABreakGlassThatStopsTakesUpWhatItLaidDown(t *testing.T) {
	for _, c := range []struct {
		name, account string
		failSeal      error
		failAudit     string
		stopped       func(error) bool
	}{
		{"refused", "dadmin", nil, "", func(err error) bool { var v *ValidationError; return errors.As(err, &v) }},
		{"seal not stored", "alice", errors.New("store down"), "", func(err error) bool { return KindOf(err) == KindUnavailable }},
		{"trail down", "alice", nil, "request.submitted", func(err error) bool {
			return KindOf(err) == KindUnavailable && strings.Contains(SafeMessage(err), "audit trail could not be written")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil)
			ctx := context.Background()
			st := newLaying(h.st)
			st.failSeal = c.failSeal
			h.failAudit = c.failAudit
			_, err := breakGlassOn(h.replica(st), c.account, "Typed-Passw0rd-Ahead!")
			if err == nil || !c.stopped(err) {
				t.Fatalf("break glass: %v", err)
			}
			st.settled(t)
			if n, err := h.st.Scheduled(ctx, dueSet); err != nil || n != 0 {
				t.Fatalf("%d deadlines left (%v)", n, err)
			}
			for _, prefix := range []string{"pw:", "req:"} {
				if keys, err := h.st.List(ctx, prefix); err != nil || len(keys) != 0 {
					t.Fatalf("left behind: %v (%v)", keys, err)
				}
			}
			if c := h.dir.Counts(); c.SetPassword+c.Unlock != 0 {
				t.Fatalf("the directory was written: %+v", c)
			}
		})
	}
}

// heldSubmission holds the append of a request's submission until the
// directory's read has started.
type heldSubmission struct {
	audit.Syncer
	t      *testing.T
	reread chan struct{}
}

func (s heldSubmission) Append(ctx context.Context, e audit.Event) error {
	if e.Type == "request.submitted" {
		waitClosed(s.t, s.reread, "the account's read did not start while the submission was being appended")
	}
	return s.Syncer.Append(ctx, e)
}

// A break glass reads its account while its submission goes into the
// trail (the append is held until the read has begun), and the trail
// still starts with the submission, before the approval.
func TestBreakGlassReadsBesideItsSubmissionRecord(t *testing.T) {
	h := newHarness(t, nil)
	read := make(chan struct{})
	h.org.Directory = hookedDir{Directory: h.dir, onLookup: func() { signal(read) }}
	svc := h.serviceOn(h.st, heldSubmission{Syncer: jsonl.New(h.audit, nil), t: t, reread: read})
	r, err := breakGlassOn(svc, "alice", "Typed-Passw0rd-Ahead!")
	if err != nil || r.State != StateDone {
		t.Fatalf("break glass: %v", err)
	}
	trail := h.audit.String()
	if s, a := strings.Index(trail, `"request.submitted"`), strings.Index(trail, `"request.approved"`); s < 0 || a < s {
		t.Fatalf("the submission is not the trail's first record of the request (submitted at %d, approved at %d)", s, a)
	}
}

// The store does not take the deadline written beside the read (a
// connection reset, once): the create writes it, as it did before, so the
// request is in the sweeper's due-set when the directory is written, and
// the reset completes.
func TestADeadlineNotLaidDownIsWrittenByTheCreate(t *testing.T) {
	h := newHarness(t, nil)
	st := newLaying(h.st)
	st.failSchedule = 1
	scheduled := false
	h.org.Directory = hookedDir{Directory: h.dir, onWrite: func() {
		keys, _ := h.st.List(context.Background(), "req:")
		if len(keys) == 1 {
			_, scheduled = h.deadlineOf(strings.TrimPrefix(keys[0], "req:"))
		}
	}}
	r, err := breakGlassOn(h.replica(st), "alice", "Typed-Passw0rd-Ahead!")
	if err != nil || r.State != StateDone {
		t.Fatalf("break glass with its first deadline write lost: %v", err)
	}
	if !scheduled {
		t.Fatal("the directory was written while the request had no deadline")
	}
	h.mustNotBeScheduled(r.ID, "done")
}

// The record's create fails (its reply lost: the record may be in the
// store all the same): what was laid down beside the read stays, so a
// record that did land has its deadline (the sweeper finds it) and its
// password (a takeover sets it); nothing is written to the directory.
func TestAFailedCreateLeavesWhatWasLaidDown(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	st := newLaying(h.st)
	st.failCreate = errors.New("i/o timeout")
	if _, err := breakGlassOn(h.replica(st), "alice", "Typed-Passw0rd-Ahead!"); KindOf(err) != KindUnavailable {
		t.Fatalf("break glass with its create failing: %v", err)
	}
	st.settled(t)
	if n, err := h.st.Scheduled(ctx, dueSet); err != nil || n != 1 {
		t.Fatalf("%d deadlines left (%v); want the one laid down", n, err)
	}
	if keys, _ := h.st.List(ctx, "pw:"); len(keys) != 1 {
		t.Fatalf("sealed passwords: %v; want the one laid down", keys)
	}
	if c := h.dir.Counts(); c.SetPassword+c.Unlock != 0 {
		t.Fatalf("the directory was written: %+v", c)
	}
}
