package bot

import (
	"context"
	"github.com/unlockbot/unlockbot/identity"
	"sync"
	"time"
)

// laidDown is what a request that runs at once (nobody approves it) has
// written before its record exists, while validate reads its account:
// the sweeper's deadline, at or before the one its first version holds
// (a deadline may be early, never late), and the typed password, sealed
// under its id. The create then writes only the record: one round trip
// between the directory's read and its write instead of two, and still
// no record the sweeper does not know or that points at a password not
// stored.
type laidDown struct {
	due    time.Time
	sealed identity.Secret
	err    error
}

// layDown writes both in the background; join waits for them. A request
// that sets a typed password seals it; others write only the deadline. A
// deadline the store did not take is written by the create, as before
// (Due stays zero); a seal it did not take stops the request (err).
func (s *Service) layDown(ctx context.Context, o *Org, req *Request, pw identity.Secret) (join func() laidDown) {
	var l laidDown
	at := s.now().Add(s.lease) // the claim's lease, taken later, ends no earlier
	var wg sync.WaitGroup
	if req.setsPassword() && !req.Generated {
		wg.Go(func() { l.sealed, l.err = s.repo.storePassword(ctx, req.ID, pw, s.pendingTTL(o)) })
	}
	wg.Go(func() {
		if due, err := s.repo.st.Schedule(ctx, dueSet, req.ID, at); err == nil {
			l.due = due
		}
	})
	done := make(chan struct{})
	go func() { defer close(done); wg.Wait() }()
	return sync.OnceValue(func() laidDown { <-done; return l })
}

// takeUp removes what layDown wrote for a request that will not be
// created (refused, or its create failed): the deadline (which finds
// nothing to do anyway) and the sealed password, which no request will
// ever use. Best effort, side by side; the password expires regardless.
func (s *Service) takeUp(ctx context.Context, req *Request, join func() laidDown) {
	if join == nil {
		return
	}
	l := join()
	var wg sync.WaitGroup
	if !l.due.IsZero() {
		wg.Go(func() { _, _ = s.repo.st.Unschedule(ctx, dueSet, req.ID, l.due) })
	}
	if req.setsPassword() && !req.Generated {
		wg.Go(func() { _ = s.repo.dropPassword(ctx, req.ID) })
	}
	wg.Wait()
}

// scheduledAhead reports whether req is a first version whose deadline was
// written before it (layDown, Due) no later than at: its create need not
// write one.
func scheduledAhead(req *Request, at time.Time) bool {
	return req.version == 0 && req.stored == "" && !req.Due.IsZero() && !at.Before(req.Due)
}
