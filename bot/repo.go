package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

// Keys in the store. Requests outlive their decision by a week so a late
// click can still be answered with what happened.
const (
	requestTTL = 7 * 24 * time.Hour
	revealTTL  = time.Hour
)

func requestKey(id string) string  { return "req:" + id }
func passwordKey(id string) string { return "pw:" + id }

// repo loads and saves requests with compare-and-swap.
type repo struct {
	st     store.Store
	sealer *Sealer
	// lease and now place a request's deadline in the sweeper's due-set.
	lease time.Duration
	now   func() time.Time
	// detach runs a done save's clean-ups after the caller goes on
	// (saveDetached), with a context of their own that has a deadline;
	// Service.Drain waits for them.
	detach func(func(context.Context))
}

// create writes req's first version. alongside, when not nil, is what the
// record must not be written before (the sealed password): it runs while
// the deadline is written, and the record is created only if it succeeded.
func (r repo) create(ctx context.Context, req *Request, alongside func() error) error {
	before := func() error { return nil }
	if alongside != nil {
		done := make(chan error, 1)
		go func() { done <- alongside() }()
		before = sync.OnceValue(func() error { return <-done })
	}
	err := r.scheduled(ctx, req, func() (store.Record, error) {
		if err := before(); err != nil {
			return store.Record{}, err
		}
		b, err := r.seal(req, 1)
		if err != nil {
			return store.Record{}, err
		}
		return r.st.Create(ctx, requestKey(req.ID), b, requestTTL)
	})
	_ = before() // joined however the deadline went; its error, if any, stopped the create
	return err
}

func (r repo) load(ctx context.Context, id string) (*Request, error) {
	rec, err := r.get(ctx, id)
	if err != nil {
		return nil, err
	}
	return r.open(id, rec)
}

// get reads request id's record as stored, unopened.
func (r repo) get(ctx context.Context, id string) (store.Record, error) {
	rec, err := r.st.Get(ctx, requestKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return rec, errorf("bot.load", KindNotFound, err, "This request no longer exists (requests are kept for 7 days). Start a new one with /unlock.")
	}
	if err != nil {
		return rec, errorf("bot.load", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
	}
	return rec, nil
}

// open checks rec's MAC and decodes it as request id; a record that fails
// is a *TamperedError.
func (r repo) open(id string, rec store.Record) (*Request, error) {
	body, err := r.sealer.openRecord(requestKey(id), rec.Version, rec.Value)
	if err != nil {
		return nil, &TamperedError{ID: id, Version: rec.Version, Org: claimedOrg(rec.Value), Why: err.Error()}
	}
	var req Request
	if err := json.Unmarshal(body, &req); err != nil || req.ID != id {
		return nil, &TamperedError{ID: id, Version: rec.Version, Org: claimedOrg(rec.Value), Why: "record does not decode as this request"}
	}
	req.version, req.stored = rec.Version, req.State
	if at, open := nextDeadline(&req, r.lease); open {
		req.storedAt = at
	}
	return &req, nil
}

// save writes req if nobody changed it since it was read; on success req
// carries the new version. store.ErrConflict means another click or replica
// won: reload and decide again. A request that has ended gives back its
// place among its technician's open requests.
func (r repo) save(ctx context.Context, req *Request) error {
	return r.saveThen(ctx, req, nil, false)
}

// saveDetached is the done save of a worker's own reset, with then: once
// it is in, the clean-ups (the deadline's removal for a request nobody is
// told about, the place given back, then) need nobody to wait for them (a
// deadline left behind is dropped by the next sweep, a place ages out of
// its window, a sealed password expires), so they run detached, and the
// reset goes on to its confirmations, or answers, without their round
// trips.
func (r repo) saveDetached(ctx context.Context, req *Request, then func(context.Context)) error {
	return r.saveThen(ctx, req, then, r.detach != nil)
}

// saveThen is save with then, when not nil, run once the save is in,
// beside the save's own clean-ups (the deadline's removal, the place
// given back); detached, they run after it returns.
func (r repo) saveThen(ctx context.Context, req *Request, then func(context.Context), detached bool) error {
	was := req.stored
	var release func(context.Context)
	if req.ended() && !(was.Final() || was == StateFailed) {
		// Once, as it ends (its later saves find it given back). Best
		// effort: a place not given back ages out of the window.
		key, id := openKey(req.Requester), req.ID
		release = func(ctx context.Context) { _ = r.st.Release(ctx, key, id) }
	}
	after := then
	if then != nil && release != nil {
		give := release
		after = func(ctx context.Context) {
			var wg sync.WaitGroup
			wg.Go(func() { then(ctx) })
			give(ctx)
			wg.Wait()
		}
	} else if release != nil {
		after = release
	}
	return r.scheduledThen(ctx, req, func() (store.Record, error) {
		b, err := r.seal(req, req.version+1)
		if err != nil {
			return store.Record{}, err
		}
		return r.st.CompareAndSwap(ctx, requestKey(req.ID), req.version, b, requestTTL)
	}, after, detached)
}

// seal marshals req for storage at version.
func (r repo) seal(req *Request, version int64) ([]byte, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	return r.sealer.sealRecord(requestKey(req.ID), version, b)
}

// scheduled runs write (the create or compare-and-swap of req) with req's
// deadline in the sweeper's due-set set first: a crash between the two
// leaves a deadline that finds nothing to do, never a request the sweeper
// does not know. A request with nothing left for the sweeper is set due
// now and, once written, taken out at exactly that deadline: a deadline
// someone set since (a retry reopening it) stays (see store.DueSet). (The
// one its last version scheduled, Due, would not do: a sweeper may have
// moved it since, and the entry would linger, counted as open, until a
// sweep found it.)
//
// A running reset renews its lease at every step, and a finished one
// records each confirmation as it goes out: each moves the deadline later.
// Such a save (approved becoming executing, executing, executing becoming
// done, or done, with a deadline no earlier than the version it read)
// keeps the deadline scheduled (the record says which, Due) unless the new
// one is earlier:
// the sweeper, waking early, finds nothing due yet and moves it on
// (Reschedule), as it always could. The latest version in the store then
// always has a deadline at or after the one scheduled. Any other save (a
// new state, or a request that had no deadline and has one again)
// schedules as before.
//
// A worker's own reset closing as done (from its executing or done version,
// whose deadline it knows, Due) is not set due first: nothing reopens a
// finished reset, so the deadline it knows is taken out once written, one
// round trip less on every reset. If that deadline is not there any more
// (a sweeper moved it, woken early by a kept deadline; the first sweep's
// backfill set it again), it is then set due now and taken out at that,
// as the other closing saves do before they write: with nothing able to
// reopen the request, nobody else's deadline can be lost by doing it
// after.
func (r repo) scheduled(ctx context.Context, req *Request, write func() (store.Record, error)) error {
	return r.scheduledThen(ctx, req, write, nil, false)
}

// scheduledThen is scheduled with then, when not nil, run once written,
// beside the deadline's removal (best-effort clean-ups, each a round trip);
// detached, a closing save's clean-ups run after it returns (detach).
func (r repo) scheduledThen(ctx context.Context, req *Request, write func() (store.Record, error), then func(context.Context), detached bool) error {
	at, open := nextDeadline(req, r.lease)
	closing := !open && closesOwn(req)
	switch {
	case closing:
		at = req.Due
	case !open:
		at = r.now()
	}
	if !closing && (!open || !(keepsDeadline(req, at) || scheduledAhead(req, at))) {
		var err error
		if at, err = r.st.Schedule(ctx, dueSet, req.ID, at); err != nil {
			return fmt.Errorf("schedule request %s: %w", req.ID, err)
		}
		req.Due = at
	}
	rec, err := write()
	if err != nil {
		return fmt.Errorf("save request %s v%d: %w", req.ID, req.version, err)
	}
	req.version, req.stored, req.storedAt = rec.Version, req.State, time.Time{}
	if open {
		req.storedAt = at // kept or not, this version's own deadline
		switch {
		case then != nil && detached:
			r.detach(then)
		case then != nil:
			then(ctx)
		}
		return nil
	}
	// Best effort: a deadline left behind is dropped by the next sweep.
	id := req.ID
	cleanUp := func(ctx context.Context) {
		var wg sync.WaitGroup
		if then != nil {
			wg.Go(func() { then(ctx) })
		}
		if gone, err := r.st.Unschedule(ctx, dueSet, id, at); closing && err == nil && !gone {
			if at, err := r.st.Schedule(ctx, dueSet, id, r.now()); err == nil {
				_, _ = r.st.Unschedule(ctx, dueSet, id, at)
			}
		}
		wg.Wait()
	}
	if detached {
		r.detach(cleanUp)
		return nil
	}
	cleanUp(ctx)
	return nil
}

// closesOwn reports whether req, about to close, is a finished reset
// saved from a version of its own run (executing or done) whose deadline
// this copy knows (see scheduled).
func closesOwn(req *Request) bool {
	return req.State == StateDone && (req.stored == StateExecuting || req.stored == StateDone) && !req.Due.IsZero()
}

// keepsDeadline reports whether a save of req with deadline at may leave
// the scheduled one (Due) as it is: a worker's own progress along
// approved → executing → done (a step within one of them, or to the next)
// from a version whose deadline was no later than at.
func keepsDeadline(req *Request, at time.Time) bool {
	progress := req.State == req.stored && (req.State == StateExecuting || req.State == StateDone) ||
		req.stored == StateApproved && req.State == StateExecuting ||
		req.stored == StateExecuting && req.State == StateDone
	return progress && !req.storedAt.IsZero() && !at.Before(req.storedAt) && !req.Due.IsZero() && !at.Before(req.Due)
}

// storePassword seals pw under the request; an existing one is kept (a
// retry must reuse the password it may already have set).
func (r repo) storePassword(ctx context.Context, id string, pw identity.Secret, ttl time.Duration) (identity.Secret, error) {
	sealed, err := r.sealer.Seal(pw, id)
	if err != nil {
		return identity.Secret{}, err
	}
	_, err = r.st.Create(ctx, passwordKey(id), sealed, ttl)
	if errors.Is(err, store.ErrConflict) {
		return r.password(ctx, id)
	}
	if err != nil {
		return identity.Secret{}, err
	}
	return pw, nil
}

// keepPassword makes a stored password live ttl from now (an approval
// extends it over the window in which the reset may run and be retried).
// No stored password is not an error: a generated one is made later.
func (r repo) keepPassword(ctx context.Context, id string, ttl time.Duration) error {
	rec, err := r.st.Get(ctx, passwordKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = r.st.CompareAndSwap(ctx, passwordKey(id), rec.Version, rec.Value, ttl)
	return err
}

func (r repo) password(ctx context.Context, id string) (identity.Secret, error) {
	rec, err := r.st.Get(ctx, passwordKey(id))
	if err != nil {
		return identity.Secret{}, err
	}
	return r.sealer.Open(rec.Value, id)
}

func (r repo) dropPassword(ctx context.Context, id string) error {
	return r.st.Delete(ctx, passwordKey(id))
}
