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
		if err := s.repo.save(ctx, r); err != nil {
			s.reqLog(r).Error().Err(err).Msg("could not record done")
			return
		}
	}
	if !r.Generated {
		_ = s.repo.dropPassword(ctx, r.ID) // typed passwords are not kept a moment longer
	}
	s.reqLog(r).Info().Str("ticket", r.Steps.TicketID).Int("attempts", r.Attempts).Msg("reset done")
	s.notifyDone(ctx, o, r)
}

// notifyDone updates the card, confirms in the thread and tells the
// requester, then records that it did (the sweeper finishes the job for a
// worker that died between "done" and here).
func (s *Service) notifyDone(ctx context.Context, o *Org, r *Request) {
	s.updateCard(ctx, r)
	s.thread(ctx, r, doneCard(o, r))
	s.tell(ctx, r, r.Requester, privateDoneCard(o, r))
	r.Steps.Notified = true
	_ = s.repo.save(ctx, r)
}

// fail records a failed attempt. Refusals are final; other failures offer a
// retry, which continues from the last recorded step. It writes only while
// this executor still owns the request (same attempt number): a worker that
// stalled past its lease must not mark the run of the worker that took over
// as failed.
func (s *Service) fail(ctx context.Context, r *Request, cause error) (*Request, error) {
	var ref *refusedError
	refused := errors.As(cause, &ref)
	msg := SafeMessage(cause)
	mine, log := r.Attempts, s.reqLog(r)
	got, err := s.updateFrom(ctx, "bot.fail", r, func(r *Request) error {
		if r.State != StateExecuting || r.Attempts != mine {
			return errLostRun
		}
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
		outcome, typ, code = audit.Refused, string(r.Mode)+".refused", ref.code
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

// Retry is a click on Retry after a failure that a retry can fix. The
// requester or any approver of the org may press it.
func (s *Service) Retry(ctx context.Context, id string, who Actor) (*Request, error) {
	const op = "bot.Retry"
	r, err := s.update(ctx, op, id, func(r *Request) error {
		refuse := func(why string, err error) error {
			_ = s.recordAfter(ctx, "request.retry_refused", audit.Refused, r, who.Key(), map[string]string{"why": why})
			return err
		}
		o, ok := s.orgs[r.OrgID]
		if !ok || !(who.Same(r.Requester) || o.IsApprover(who)) {
			return refuse("not_allowed", errorf(op, KindForbidden, nil, "Only the technician who asked or an approver of this organization can retry."))
		}
		if r.State != StateFailed || !r.Retryable {
			return errorf(op, KindConflict, nil, "There is nothing to retry: %s", alreadyDecided(r))
		}
		// An approval is for now, not for next week: past the org's approval
		// window a retry needs a new request and a new approval (claim says
		// the same to the sweeper).
		if s.approvalStale(o, r) {
			return refuse("approval_stale", errorf(op, KindConflict, nil, "This approval is older than %s, so it cannot be retried. Submit a new request with /unlock.", o.Policy.ApprovalTTL))
		}
		// A failed request gave back its place among the technician's
		// open requests; running it again takes one (again on every
		// attempt: the place is the request's, so taking it twice is once).
		if r.Requester.Platform != "cli" {
			ok, n, err := s.repo.st.Reserve(ctx, openKey(r.Requester), r.ID, s.now(), openWindow, s.limits.OpenPerTechnician)
			if err != nil {
				return errorf(op, KindUnavailable, err, storeDown)
			}
			if !ok {
				return refuse("technician_open_limit", errorf(op, KindForbidden, nil, "%s has %d requests open, the most one technician may have at once. Retry when one of them is decided.", r.Requester.Label(), n))
			}
		}
		return r.move(StateApproved, s.now())
	})
	if err != nil {
		return r, err
	}
	_ = s.recordAfter(ctx, "request.retried", audit.OK, r, who.Key(), nil)
	return s.Execute(ctx, id)
}

// RevealPassword hands a generated password to the requester, once. The
// reveal is audited durably first (if that fails, nothing is consumed),
// then the request is marked revealed and the sealed copy deleted before
// the password is returned: whatever the chat platform then does (shows
// it, fails, times out after showing it), nobody can see it a second time
// without a new request and a new approval.
func (s *Service) RevealPassword(ctx context.Context, id string, who Actor) (identity.Secret, *Request, error) {
	const op = "bot.RevealPassword"
	var pw identity.Secret
	audited := false // durably, by the first attempt; a conflict retried is one reveal
	r, err := s.update(ctx, op, id, func(r *Request) error {
		if !who.Same(r.Requester) {
			_ = s.recordAfter(ctx, "password.reveal_refused", audit.Refused, r, who.Key(), nil)
			return errorf(op, KindForbidden, nil, "Only the technician who asked for this reset can see the password.")
		}
		if r.State != StateDone || !r.Generated || r.Revealed {
			return errorf(op, KindConflict, nil, "The password can be shown only once, after the reset is done. If it was lost, submit a new request with /unlock.")
		}
		var err error
		if pw, err = s.repo.password(ctx, r.ID); err != nil {
			return errorf(op, KindNotFound, err, "The password is no longer kept. Submit a new request with /unlock.")
		}
		if !audited {
			if err := s.record(ctx, "password.revealed", audit.OK, r, who.Key(), nil); err != nil {
				return err
			}
			audited = true
		}
		r.Revealed = true
		return nil
	})
	if errors.Is(err, errNotSaved) {
		_ = s.recordAfter(ctx, "password.reveal_failed", audit.Failed, r, "system", map[string]string{"why": "state store"})
		return identity.Secret{}, r, errorf(op, KindUnavailable, err, "The state store is not answering, so the password was not shown. Try again in a minute.")
	}
	if err != nil {
		return identity.Secret{}, r, err
	}
	if err := s.repo.dropPassword(ctx, r.ID); err != nil {
		s.reqLog(r).Warn().Err(err).Msg("could not delete the revealed password; it expires within the hour")
	}
	return pw, r, nil
}

// ConfirmReveal records a showing the platform reports as failed. It does
// not re-arm Reveal: a platform that reports a failure may have shown it.
// A showing that worked needs no record beyond password.revealed.
func (s *Service) ConfirmReveal(ctx context.Context, id string, shown bool) error {
	if shown {
		return nil
	}
	r, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	return s.recordAfter(ctx, "password.reveal_failed", audit.Failed, r, "system", nil)
}

func (s *Service) updateCard(ctx context.Context, r *Request) {
	n := s.notifier(r)
	if n == nil || r.ApprovalMsg == nil {
		return
	}
	o := s.orgs[r.OrgID]
	if err := n.UpdateApproval(ctx, *r.ApprovalMsg, approvalCard(o, r)); err != nil {
		s.reqLog(r).Warn().Err(err).Msg("could not update the approval message")
	}
}

func (s *Service) thread(ctx context.Context, r *Request, c Card) {
	n := s.notifier(r)
	if n == nil || r.ApprovalMsg == nil {
		return
	}
	if err := n.ReplyInThread(ctx, *r.ApprovalMsg, c); err != nil {
		s.reqLog(r).Warn().Err(err).Msg("could not reply in the thread")
	}
}

func (s *Service) tell(ctx context.Context, r *Request, to Actor, c Card) {
	n := s.notifier(r)
	if n == nil {
		return
	}
	if err := n.Notify(ctx, to, c); err != nil {
		s.reqLog(r).Warn().Err(err).Msg("could not notify privately")
	}
}
