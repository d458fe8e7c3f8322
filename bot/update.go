package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/unlockbot/unlockbot/bot/store"
)

// updateTries bounds the saves of one update. A conflict means another
// click or replica changed the request first; reading again and deciding
// again is right a few times, but a request that keeps changing under us
// is better answered with "try again" than with a loop that never ends.
const updateTries = 5

// storeDown is what a person is told when the state store did not take a
// change.
const storeDown = "The state store is not answering. Try again in a minute."

// errNotSaved marks an update whose save failed (the store refused it, or
// kept conflicting past updateTries), so a caller can tell it from the
// refusals its own fn returned.
var errNotSaved = errors.New("request not saved")

// update is the one compare-and-swap loop of the flow: load request id,
// let fn check and change it, save it if nobody changed it since it was
// read; on a conflict read it again and call fn again, since what fn
// decided may no longer hold. fn returning an error stops the update with
// nothing saved: that error comes back as is, with the request as fn left
// it. fn runs once per attempt, so a side effect that must happen once
// belongs after update, or behind a flag fn keeps.
//
// A save that fails comes back as a KindUnavailable *Error carrying
// errNotSaved (and store.ErrConflict when conflicts used up the tries),
// with the request as fn changed it, unsaved.
func (s *Service) update(ctx context.Context, op, id string, fn func(r *Request) error) (*Request, error) {
	r, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.updateFrom(ctx, op, r, fn)
}

// updateFrom is update starting from a copy already in hand (an executor
// recording the end of its own run), so the first attempt costs no read.
func (s *Service) updateFrom(ctx context.Context, op string, r *Request, fn func(r *Request) error) (*Request, error) {
	for try := 1; ; try++ {
		if err := fn(r); err != nil {
			return r, err
		}
		err := s.repo.save(ctx, r)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, store.ErrConflict) || try >= updateTries {
			return r, errorf(op, KindUnavailable, fmt.Errorf("%w: %w", errNotSaved, err), storeDown)
		}
		if r, err = s.load(ctx, r.ID); err != nil {
			return nil, err
		}
	}
}
