package bot

import (
	"context"
	"errors"
	"time"
)

// A replica that shuts down with resets still running hands them back
// instead of dying in the middle of one: its job runner closes the stop
// channel it gave the job (WithStop), the reset notices at its next safe
// point (before a step or a side effect starts, never during one), saves
// its progress with an expired lease and returns. Another replica resumes
// it at once from its recorded steps, as it would after a crash, but
// without waiting for the lease to run out: nothing is in flight.

type stopKey struct{}

// ErrStopped marks a job that stopped at a safe point because its replica
// is shutting down; the request is left for another replica to resume.
var ErrStopped = errors.New("job handed back: this replica is shutting down")

// WithStop returns ctx carrying stop: once stop is closed, a job running
// on ctx stops at its next safe point with ErrStopped.
func WithStop(ctx context.Context, stop <-chan struct{}) context.Context {
	return context.WithValue(ctx, stopKey{}, stop)
}

// Stopping reports whether the runner of the job running on ctx asked it
// to stop (WithStop).
func Stopping(ctx context.Context) bool {
	stop, _ := ctx.Value(stopKey{}).(<-chan struct{})
	if stop == nil {
		return false
	}
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// checkStop is the safe point: nothing of this reset is in flight when it
// is called.
func checkStop(ctx context.Context) error {
	if Stopping(ctx) {
		return errorf("bot.step", KindUnavailable, ErrStopped, "unlockbot is restarting; another replica carries on with this reset in a moment.")
	}
	return nil
}

// handBack leaves a reset stopped at a safe point to the next replica: it
// stays executing, with no lease, so a claim (the job delivered
// again, or a sweep) takes it over at once. Only while this attempt still
// owns it, like fail. Nobody is told anything: the reset is not over.
func (s *Service) handBack(ctx context.Context, r *Request, cause error) (*Request, error) {
	mine := r.Attempts
	ctx = context.WithoutCancel(ctx)
	got, err := s.updateFrom(ctx, "bot.handBack", r, func(r *Request) error {
		if r.State != StateExecuting || r.Attempts != mine {
			return errLostRun
		}
		disarm(r)
		r.LeaseUntil = time.Time{} // no lease: the next claim takes it
		return nil
	})
	if got != nil {
		r = got
	}
	log := s.reqLog(r).Info().Int("attempt", mine)
	if err != nil {
		// The lease runs out on its own: the sweeper resumes it then.
		log.AnErr("store", err).Msg("reset stopped for shutdown; its lease could not be ended early")
	} else {
		log.Msg("reset stopped for shutdown and handed back to the other replicas")
	}
	return r, cause
}
