package bot

import (
	"context"
	"errors"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
)

// finish marks the request done and tells everyone. Chat failures here are
// logged, not fatal: the reset itself is done and audited.
func (s *Service) finish(ctx context.Context, o *Org, r *Request) {
	if err := r.move(StateDone, s.now()); err == nil {
		r.DoneAt = s.now()
		// The same save takes the confirmations' lease (notifyDone's), or,
		// with nobody to tell, records them as delivered: one save, not two.
		quiet := s.nobodyToTell(o, r)
		if quiet {
			r.Steps.ThreadSent, r.Steps.PrivateSent, r.Steps.Notified = true, true, true
			r.Steps.NotifyTries++
		} else {
			r.Steps.NotifyUntil = s.now().Add(notifyLease)
		}
		if quiet {
			// Nothing to send: the typed password goes beside the save's
			// own clean-ups, once the save is in (a takeover after a save
			// that failed still needs it), and the reset answers without
			// waiting for them (saveDetached).
			if err := s.repo.saveDetached(ctx, r, s.dropTyped(r)); err != nil {
				s.reqLog(r).Error().Err(err).Msg("could not record done")
				return
			}
			s.afterDone(ctx, r, false)
			_ = s.recordAfter(ctx, "request.delivered", audit.OK, r, "system", map[string]string{"thread": "none", "requester": "none"})
			return
		}
		// The place given back runs detached: the confirmations go out
		// without waiting for its round trip.
		if err := s.repo.saveDetached(ctx, r, nil); err != nil {
			s.reqLog(r).Error().Err(err).Msg("could not record done")
			return
		}
		dropped := s.afterDone(ctx, r, true)
		s.sendDone(ctx, o, r)
		dropped()
		return
	}
	dropped := s.afterDone(ctx, r, true)
	s.notifyDone(ctx, o, r)
	dropped()
}

// nobodyToTell reports whether a finished request has no confirmation to
// send: no chat for its platform (a terminal's break glass), so no thread
// and no requester message, and no owner notice owed.
func (s *Service) nobodyToTell(o *Org, r *Request) bool {
	return s.notifier(r) == nil && (!o.Policy.NotifyOwner.On() || r.Steps.OwnerNotified)
}

// afterDone lets go of a typed password and logs the outcome. With drop,
// the password is dropped while the confirmations go out (no card carries
// a typed password); dropped waits for it.
func (s *Service) afterDone(ctx context.Context, r *Request, drop bool) (dropped func()) {
	s.reqLog(r).Info().Str("ticket", r.Steps.TicketID).Int("attempts", r.Attempts).Msg("reset done")
	r.sealed = identity.Secret{} // the copy in hand lets go of it too
	fn := s.dropTyped(r)
	if !drop || fn == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() { defer close(done); fn(ctx) }()
	return func() { <-done }
}

// dropTyped deletes a typed password (typed passwords are not kept a
// moment longer than the reset needs them); nil for a generated one,
// which the requester may still reveal.
func (s *Service) dropTyped(r *Request) func(context.Context) {
	if r.Generated {
		return nil
	}
	id := r.ID
	return func(ctx context.Context) { _ = s.repo.dropPassword(ctx, id) }
}

// fail records a failed attempt. Refusals are final; other failures offer a
// retry, which continues from the last recorded step. It writes only while
// this executor still owns the request (same attempt number): a worker that
// stalled past its lease must not mark the run of the worker that took over
// as failed.
func (s *Service) fail(ctx context.Context, r *Request, cause error) (*Request, error) {
	var ref *Refusal
	refused := errors.As(cause, &ref)
	msg := SafeMessage(cause)
	mine, log := r.Attempts, s.reqLog(r)
	got, err := s.updateFrom(ctx, "bot.fail", r, func(r *Request) error {
		if r.State != StateExecuting || r.Attempts != mine {
			return errLostRun
		}
		disarm(r)
		if err := r.move(StateFailed, s.now()); err != nil {
			return err
		}
		r.Failure, r.Retryable = msg, !refused
		return nil
	})
	if got != nil {
		r = got
	}
	if errors.Is(err, errLostRun) {
		log.Warn().Err(cause).Int("attempt", mine).Msg("reset attempt lost its request to another worker; leaving it to that worker")
		return r, errorf("bot.Execute", KindConflict, cause, "Another unlockbot worker took over this reset; see its messages in the thread.")
	}
	if err != nil {
		// Not recorded, and nobody else owns it: the sweeper takes it up
		// again when the lease runs out.
		log.Error().Err(cause).AnErr("store", err).Int("attempt", mine).Msg("reset attempt failed and the failure could not be recorded")
		return r, errorf("bot.Execute", KindUnavailable, cause, "The reset stopped and the state store did not record why: %s unlockbot will pick it up again within a few minutes.", msg)
	}
	outcome, typ, code := audit.Failed, string(r.Mode)+".failed", ""
	if refused {
		outcome, typ, code = audit.Refused, string(r.Mode)+".refused", ref.Code
		_ = s.repo.dropPassword(ctx, r.ID)
	}
	_ = s.record(ctx, typ, outcome, r, "system", map[string]string{"why": msg, "code": code})
	log.Warn().Err(cause).Bool("retryable", !refused).Msg("reset did not complete")
	s.updateCard(ctx, r)
	s.thread(ctx, r, failedCard(r))
	s.tell(ctx, r, r.Requester, failedCard(r))
	return r, errorf("bot.Execute", kindFor(refused), cause, "%s", msg)
}

// errLostRun stops fail's update: another executor owns the request now.
var errLostRun = errors.New("another executor owns the request")

func kindFor(refused bool) Kind {
	if refused {
		return KindForbidden
	}
	return KindUnavailable
}
