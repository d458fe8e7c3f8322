package bot

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
)

const day = 24 * time.Hour

func limitKey(o *Org, username string) string {
	return "limit:" + o.ID + ":" + strings.ToLower(username)
}

// resetsToday counts resets of the account in the last 24 h (limit 0 makes
// Reserve count without adding).
func (s *Service) resetsToday(ctx context.Context, o *Org, username string) (int, error) {
	_, n, err := s.repo.st.Reserve(ctx, limitKey(o, username), "", s.now(), day, 0)
	return n, err
}

func (s *Service) notifier(r *Request) Notifier { return s.notifiers[r.Platform] }

// askApproval posts the approval card and records where it went.
func (s *Service) askApproval(ctx context.Context, o *Org, r *Request) (*Request, error) {
	if err := r.move(StatePendingApproval, s.now()); err != nil {
		return nil, err
	}
	// Recorded before the card exists, so its buttons never point at a
	// request that is not waiting for them.
	if err := s.repo.save(ctx, r); err != nil {
		return nil, errorf("bot.askApproval", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
	}
	n := s.notifier(r)
	ch := o.ApprovalChannel[r.Platform]
	if n == nil || ch == "" {
		return s.failSubmit(ctx, r, "No approval channel is set for "+o.Name+" on "+r.Platform+". Ask an unlockbot admin to set one.", nil)
	}
	ref, err := n.PostApproval(ctx, ch, approvalCard(o, r))
	if err != nil {
		return s.failSubmit(ctx, r, "The approval message could not be posted: "+SafeMessage(err), err)
	}
	r.ApprovalMsg = &ref
	if err := s.repo.save(ctx, r); err != nil {
		// The request is pending and its card is live (the buttons work);
		// only later updates of the card are lost. Saying "failed" would
		// send the technician to submit a second approvable request.
		s.reqLog(r).Error().Err(err).Msg("approval card posted but its reference not recorded; the card will not be updated")
		return r, nil
	}
	return r, nil
}

// failSubmit ends a request that could not be put in front of an approver.
func (s *Service) failSubmit(ctx context.Context, r *Request, msg string, cause error) (*Request, error) {
	if err := r.move(StateFailed, s.now()); err != nil {
		return nil, errorf("bot.Submit", KindInternal, err, "%s", msg)
	}
	r.Failure = msg
	_ = s.repo.save(ctx, r)
	_ = s.repo.dropPassword(ctx, r.ID)
	_ = s.recordAfter(ctx, "request.failed", audit.Failed, r, r.Requester.Key(), map[string]string{"why": msg})
	return nil, errorf("bot.Submit", KindUnavailable, cause, "%s", msg)
}

// autoApprove skips the approval step for orgs that do not require one and
// for break-glass resets; by says which, in the audit trail.
func (s *Service) autoApprove(ctx context.Context, o *Org, r *Request, by string, acct identity.Account, submitted func() error) (*Request, error) {
	// The record was created approved and claimed (start). Nobody is told of an
	// automatic approval: the submission's record (submitted, flushing
	// since before the account was read), or the write intent that
	// follows, is on disk before the directory is touched, and this event
	// is committed with the next flush (one disk flush per step, not per
	// event).
	if err := s.recordAfter(ctx, "request.approved", audit.OK, r, by, nil); err != nil {
		s.unapprove(ctx, r)
		return nil, err
	}
	// The account was read a few milliseconds ago by validate: that read is
	// the check at the moment of action, no need to read it twice.
	return s.runClaimed(ctx, o, r, handoff{fresh: &acct, recorded: submitted})
}

// Approve is a click on Approve. Authority is checked here, at click time,
// against the current config, whatever buttons the approver was shown. It
// runs the reset before returning; adapters call it after acknowledging.
//
// The approval's save is also this executor's claim (one round trip, and
// no other click or replica can come between), and its record goes to
// disk while the account is read again: the write waits for it, and an
// approval the trail did not take is withdrawn, never acted on (runClaimed).
//
// The account is read again from the moment the click is known to count
// (decided starts the read before the save): the directory's read and the
// store's save run side by side instead of one after another. The write's
// intent is saved after that read, with what it shows: an intent saved
// with the submission's view could be taken, by a worker taking over, for
// a write of its own when the password was changed since.
func (s *Service) Approve(ctx context.Context, id string, approver Actor) (*Request, error) {
	r, o, h, err := s.decided(ctx, id, approver, StateApproved, "")
	if err != nil {
		return r, err
	}
	if testPoint != nil {
		testPoint("approved") // saved with the claim, nothing read or written
	}
	s.updateCard(ctx, r)
	return s.runClaimed(ctx, o, r, h)
}

// Deny is a click on Deny, with an optional reason.
func (s *Service) Deny(ctx context.Context, id string, approver Actor, reason string) (*Request, error) {
	r, err := s.decide(ctx, id, approver, StateDenied, Truncate(strings.TrimSpace(reason), maxReasonLen))
	if err != nil {
		return r, err
	}
	_ = s.repo.dropPassword(ctx, r.ID)
	return s.tellDenied(ctx, r), nil
}

// tellDenied shows a denial on the card, in the thread and to the
// requester, then records that they were told (Steps.DenyPending).
func (s *Service) tellDenied(ctx context.Context, r *Request) *Request {
	s.updateCard(ctx, r)
	s.thread(ctx, r, denyCard(r))
	s.tell(ctx, r, r.Requester, denyCard(r))
	told, err := s.update(ctx, "bot.tellDenied", r.ID, func(r *Request) error {
		r.Steps.DenyPending = false
		return nil
	})
	if err != nil {
		s.reqLog(r).Warn().Err(err).Msg("the denial was told but could not be recorded; it may be told again")
		return r
	}
	return told
}

// CanDecide tells an adapter, before it asks a question (the deny reason),
// whether who may decide on the request now. Approve and Deny check again:
// this is for the person's sake, not the security check.
func (s *Service) CanDecide(ctx context.Context, id string, who Actor) error {
	const op = "bot.CanDecide"
	r, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	o, err := s.orgOf(op, r)
	if err != nil {
		return err
	}
	if why := s.checkApprover(o, r, who); why != "" {
		return errorf(op, KindForbidden, nil, "%s", why)
	}
	if r.State != StatePendingApproval {
		return errorf(op, KindConflict, nil, "%s", alreadyDecided(r))
	}
	return nil
}

// decide moves pending_approval → to with compare-and-swap: of two clicks,
// on one replica or two, exactly one wins; the other is told what happened.
func (s *Service) decide(ctx context.Context, id string, who Actor, to State, reason string) (*Request, error) {
	r, _, _, err := s.decided(ctx, id, who, to, reason)
	return r, err
}

// decided is decide, which for an approval also claims the request for
// this executor in the same save and hands the first try (runClaimed) the
// account's read, started as soon as the click is known to count, and the
// wait for the approval's record to be on disk (its flush runs
// meanwhile): the directory must not change before that returns nil, and
// an error from it is an *unrecordedApproval.
func (s *Service) decided(ctx context.Context, id string, who Actor, to State, reason string) (*Request, *Org, handoff, error) {
	const op = "bot.decide"
	var o *Org
	var h handoff
	r, err := s.update(ctx, op, id, func(r *Request) (err error) {
		if o, err = s.orgOf(op, r); err != nil {
			return err
		}
		if why := s.checkApprover(o, r, who); why != "" {
			_ = s.recordAfter(ctx, "request.decision_refused", audit.Refused, r, who.Key(), map[string]string{"why": why})
			return errorf(op, KindForbidden, nil, "%s", why)
		}
		if r.State != StatePendingApproval {
			return errorf(op, KindConflict, nil, "%s", alreadyDecided(r))
		}
		if why := unverifiedRefusal(o, r); why != "" && to == StateApproved {
			_ = s.recordAfter(ctx, "request.decision_refused", audit.Refused, r, who.Key(), map[string]string{"why": "not_verified"})
			return errorf(op, KindConflict, nil, "%s", why)
		}
		if s.now().After(r.ExpiresAt) {
			s.expire(ctx, r)
			return errorf(op, KindConflict, nil, "This request expired at %s UTC without a decision. Ask the technician to submit it again.", r.ExpiresAt.UTC().Format("15:04"))
		}
		if err := r.move(to, s.now()); err != nil {
			return err
		}
		a := who
		r.Approver, r.DenyReason = &a, reason
		r.Steps.DenyPending = to == StateDenied
		if to == StateApproved {
			r.ApprovedAt = s.now()
			// Claimed in the same save (claim's approved → executing).
			if err := r.move(StateExecuting, s.now()); err != nil {
				return err
			}
			r.Attempts++
			r.LeaseUntil = s.now().Add(s.lease)
			r.Failure, r.Retryable = "", false
			if h.looked == nil {
				// A read, which changes nothing: the first try judges it
				// (rechecked) once the save is in.
				h.looked = s.lookAhead(ctx, o, r.Account.Username)
			}
		}
		return nil
	})
	if err != nil {
		return r, o, handoff{}, err
	}
	typ := "request.approved"
	if to == StateDenied {
		typ = "request.denied"
	}
	// wait_ms is how long the request waited for a person: the approval
	// wait metric is read from the trail, the same on every replica.
	wait := strconv.FormatInt(s.now().Sub(r.CreatedAt).Milliseconds(), 10)
	detail := map[string]string{"reason": reason, "wait_ms": wait}
	if to != StateApproved {
		// A denial only reports.
		if err := s.recordAfter(ctx, typ, audit.OK, r, who.Key(), detail); err != nil {
			return r, o, handoff{}, err
		}
		s.reqLog(r).Info().Str("approver", who.Key()).Str("decision", string(to)).Msg("request decided")
		return r, o, handoff{}, nil
	}
	// An approval is durable before anything acts on it: its flush runs
	// while the account is read again. A typed password is kept over the
	// approval's window meanwhile: keeping it acts on nothing, and an
	// approval the trail refuses drops it anyway (unapprove).
	kept := func() {}
	if r.setsPassword() && !r.Generated {
		done := make(chan struct{})
		go func() { defer close(done); s.keepPassword(ctx, o, r) }()
		kept = func() { <-done }
	}
	_, syncs := s.audit.(audit.Syncer)
	flushed, err := s.recordSoon(ctx, typ, audit.OK, r, who.Key(), detail)
	if err != nil {
		kept()
		s.unapprove(ctx, r)
		return r, o, handoff{}, err
	}
	s.reqLog(r).Info().Str("approver", who.Key()).Str("decision", string(to)).Msg("request decided")
	if !syncs {
		kept() // written at once: the attempt's start is written so too (runClaimed)
		return r, o, h, nil
	}
	h.recorded = func() error {
		kept()
		if err := flushed(); err != nil {
			return &unrecordedApproval{err: err}
		}
		return nil
	}
	return r, o, h, nil
}

// lookAhead reads the account named in the background, its request sent
// before the claim's save is sealed (startFirst); the returned func waits
// for the answer.
func (s *Service) lookAhead(ctx context.Context, o *Org, username string) func() (identity.Account, error) {
	return startFirst(func() (identity.Account, error) { return o.Directory.Lookup(ctx, username) })
}

// unrecordedApproval is an approval whose record did not reach the disk:
// runClaimed withdraws it (unapprove) instead of trying again.
type unrecordedApproval struct{ err error }

func (e *unrecordedApproval) Error() string { return e.err.Error() }
func (e *unrecordedApproval) Unwrap() error { return e.err }

// unapprove ends an approval whose audit record could not be written: an
// approval that is not in the trail must not be acted on, not even by the
// sweeper later.
func (s *Service) unapprove(ctx context.Context, r *Request) {
	if err := r.move(StateFailed, s.now()); err != nil {
		return
	}
	r.Failure, r.Retryable = "The audit trail could not be written, so the approval was not acted on and nothing was changed. Ask an admin to run unlockbot check (it tests each audit destination), then submit again.", false
	if err := s.repo.save(ctx, r); err != nil {
		s.reqLog(r).Error().Err(err).Msg("approval without an audit record could not be withdrawn")
	}
	_ = s.repo.dropPassword(ctx, r.ID)
	s.updateCard(ctx, r)
	s.tell(ctx, r, r.Requester, failedCard(r))
}

// checkApprover returns why who may not decide r, or "".
func (s *Service) checkApprover(o *Org, r *Request, who Actor) string {
	switch {
	case who.Same(r.Requester):
		return "You asked for this reset, so someone else must approve it (two-person rule)."
	case !o.IsApprover(who):
		return "You are not an approver for " + o.Name + ". Ask one of its approvers to decide."
	}
	return ""
}

func alreadyDecided(r *Request) string {
	by := ""
	if r.Approver != nil {
		by = " by " + r.Approver.Label()
	}
	switch r.State {
	case StateDenied:
		return "This request was already denied" + by + "."
	case StateExpired:
		return "This request expired. Ask the technician to submit it again."
	case StateApproved, StateExecuting, StateDone, StateFailed:
		return "This request was already approved" + by + "; nothing more to do."
	}
	return "This request is not waiting for a decision."
}

// expire marks an undecided request expired (lazily, on the first touch
// after its deadline, or from Sweep); one still verifying its caller
// (no approval step) says so.
func (s *Service) expire(ctx context.Context, r *Request) {
	var detail map[string]string
	card := expiredCard(r)
	if r.State == StateVerifying {
		detail, card = map[string]string{"why": "not_verified"}, unverifiedExpiredCard(r)
	}
	if err := r.move(StateExpired, s.now()); err != nil {
		return
	}
	if err := s.repo.save(ctx, r); err != nil {
		return // another replica got there first
	}
	_ = s.repo.dropPassword(ctx, r.ID)
	_ = s.recordAfter(ctx, "request.expired", audit.OK, r, "system", detail)
	s.updateCard(ctx, r)
	s.tell(ctx, r, r.Requester, card)
}

// Get returns a request (for adapters answering a click).
func (s *Service) Get(ctx context.Context, id string) (*Request, error) { return s.load(ctx, id) }
