package bot

import (
	"context"
)

// testPoint, when set, is called right after a side effect and before its
// outcome is recorded: the worst moment to crash. Only the crash-test
// build sets it (testpoint_crashtest.go), to hold a real process there
// until the test kills it.
var testPoint func(point string)

// carried runs a step's fn unless done, then marks it done; the mark rides
// with the next save (the next side effect's intent, or the done save): fn
// only reads, or only writes what a retry finds written, so a try stopped
// before that save runs it again at no harm but a repeated audit line. It
// saves a store round trip per step. Before fn it renews the lease with a
// compare-and-swap: a worker that stalled and lost the request to another
// stops here instead of going on. A lease this worker renewed less than
// half a lease ago cannot have been lost (another worker takes over only
// once it ran out, on a clock up to half a lease off), so it is not renewed
// again.
func (s *Service) carried(ctx context.Context, r *Request, name string, done *bool, fn func() error) error {
	if *done {
		return nil
	}
	if err := checkStop(ctx); err != nil {
		return err
	}
	if !s.leaseFresh(r) {
		if err := s.renew(ctx, r); err != nil {
			return err
		}
	}
	if err := fn(); err != nil {
		return err
	}
	*done = true
	return s.stepped(name)
}

// leaseFresh reports whether this worker renewed r's lease less than half
// a lease ago: nobody can have taken the request over since (see carried).
func (s *Service) leaseFresh(r *Request) bool {
	return !r.LeaseUntil.IsZero() && s.now().Before(r.LeaseUntil.Add(-s.lease/2))
}

// stepped runs the test hook that may stop the worker after a step.
func (s *Service) stepped(name string) error {
	if s.afterStep != nil {
		return s.afterStep(name)
	}
	return nil
}

// once runs a side effect in the directory or the PSA at most once across
// workers and crashes. The intent is saved (compare-and-swap, which also
// renews the lease) before do runs, so a worker that finds an intent
// without its outcome knows the effect may have happened and asks happened
// instead of repeating it. record marks the outcome in r and audits it;
// recovered says it was found done rather than done now. The outcome is
// not saved on its own: it rides with the next save (the next step's
// intent, or the done save), and a worker that stops before that one is
// the case happened is there for. A round trip per side effect saved.
func (s *Service) once(ctx context.Context, r *Request, name string, intent *bool, done bool,
	happened func() (bool, error), do func() error, record func(recovered bool) error) error {
	if done {
		return nil
	}
	if err := checkStop(ctx); err != nil {
		return err
	}
	armed := r.armed == name
	r.armed = ""
	if *intent && !armed {
		did, err := happened()
		if err != nil {
			return err
		}
		if did {
			if err := record(true); err != nil {
				return err
			}
			r.Steps.Recovered = append(r.Steps.Recovered, name)
			s.reqLog(r).Warn().Str("step", name).Msg("found done by a worker that stopped before recording it; not repeated")
			return s.stepped(name)
		}
	}
	*intent = true
	if !armed {
		if err := s.renew(ctx, r); err != nil {
			return err
		}
	}
	if err := do(); err != nil {
		return err
	}
	return s.effected(name, record)
}

// onceKeyed is once for an effect whose happened asks the other system by
// this request's key (a ticket made with it, a note carrying it), which
// any worker can ask without an intent saved first. On the first try of
// the first attempt (Request.firstTry) within a fresh lease, nobody can
// have started it before and nobody else can be running it now, so it
// runs with no save before it: a store round trip off the reset's path.
// Every other try asks happened, intent saved or not, since a first try
// that stopped after the effect left no intent behind.
func (s *Service) onceKeyed(ctx context.Context, r *Request, name string, intent *bool, done bool,
	happened func() (bool, error), do func() error, record func(recovered bool) error) error {
	if done || !r.firstTry || *intent || !s.leaseFresh(r) {
		if !done && !r.firstTry {
			*intent = true // ask first (once): an earlier first try saved none
		}
		return s.once(ctx, r, name, intent, done, happened, do, record)
	}
	if err := checkStop(ctx); err != nil {
		return err
	}
	if err := do(); err != nil {
		return err
	}
	return s.effected(name, record)
}

// effected runs the crash and test hooks between an effect and its record,
// then records it.
func (s *Service) effected(name string, record func(recovered bool) error) error {
	if testPoint != nil {
		testPoint(name)
	}
	if s.afterEffect != nil {
		if err := s.afterEffect(name); err != nil {
			return err
		}
	}
	if err := record(false); err != nil {
		return err
	}
	return s.stepped(name)
}

// renew extends the lease with a compare-and-swap before a step.
func (s *Service) renew(ctx context.Context, r *Request) error {
	r.LeaseUntil = s.now().Add(s.lease)
	if err := s.repo.save(ctx, r); err != nil {
		return errorf("bot.step", KindConflict, err, "Another unlockbot worker took over this reset; see its messages in this thread.")
	}
	return nil
}
