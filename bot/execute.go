package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
)

// Execute runs the shared reset service for an approved request: check the
// account, write (unlock, and set the password unless unlock-only), verify,
// ticket, audit, confirm. Each side effect records its intent before it
// starts and its outcome after, so a retry (or another replica after a
// crash) neither repeats one nor loses one. The Slack handler, the Teams
// handler and `unlockbot reset` all end here.
func (s *Service) Execute(ctx context.Context, id string) (*Request, error) {
	r, o, err := s.claim(ctx, id)
	if err != nil {
		return r, err
	}
	return s.runClaimed(ctx, o, r, handoff{})
}

// handoff is what the path that claimed a request brings to its first
// try, each of which spares that try a wait: the account as read a moment
// ago (an automatic approval, validate's read: not read again), or a read
// of it started with the claim (an approval: the read the try would make,
// begun before the claim's save instead of after it); and recorded, the
// wait for the record that lets the directory change (the submission's or
// the approval's, flushing meanwhile), in place of a flush of the
// attempt's own start.
type handoff struct {
	fresh    *identity.Account
	looked   func() (identity.Account, error)
	recorded func() error
}

// runClaimed runs the reset this executor claimed (claim, or a request
// created claimed: an automatic approval), trying again what did not get
// an answer.
func (s *Service) runClaimed(ctx context.Context, o *Org, r *Request, h handoff) (*Request, error) {
	for try := 1; ; try++ {
		// The attempt's start is the trail's record that the directory may
		// change: it is flushed while the account is read again, and the
		// write waits for it (write).
		detail := map[string]string{"attempt": fmt.Sprint(r.Attempts), "try": fmt.Sprint(try)}
		var flushed func() error
		var err error
		if try == 1 && h.recorded != nil {
			flushed, err = h.recorded, s.recordAfter(ctx, string(r.Mode)+".started", audit.OK, r, "system", detail)
		} else {
			flushed, err = s.recordSoon(ctx, string(r.Mode)+".started", audit.OK, r, "system", detail)
		}
		r.firstTry = try == 1 && r.Attempts == 1
		if err == nil {
			err = s.run(ctx, o, r, h, flushed)
		}
		if flushed != nil {
			// Joined before anything else is told; an approval the disk
			// did not take outranks whatever else stopped the try.
			ua := (*unrecordedApproval)(nil)
			if ferr := flushed(); ferr != nil && (err == nil || errors.As(ferr, &ua)) {
				err = ferr
			}
		}
		if err == nil {
			break
		}
		if errors.Is(err, ErrStopped) {
			return s.handBack(ctx, r, err)
		}
		if ua := (*unrecordedApproval)(nil); errors.As(err, &ua) {
			s.unapprove(ctx, r) // not in the trail: not acted on, now or later
			return r, err
		}
		// A directory or store that did not answer (a storm's load, a
		// failover) is tried again from the last recorded step, so a
		// reset does not wait for a person to press Retry.
		if try >= s.runTries || KindOf(err) != KindUnavailable || ctx.Err() != nil { // a refusal is no *Error: never retried
			return s.fail(ctx, r, err)
		}
		s.reqLog(r).Info().Err(err).Int("try", try).Msg("reset step did not get an answer; trying again")
		if !pause(ctx, time.Duration(try)*runBackoff) {
			return s.fail(ctx, r, err)
		}
		// What the try did and has not saved yet (an outcome rides with
		// the next save) is saved first, so the next try does not find it
		// again as recovered; then from what the store holds, as a Retry
		// would (a store that did not take the save leaves it to happened).
		disarm(r)
		_ = s.repo.save(ctx, r)
		again, lerr := s.load(ctx, r.ID)
		if lerr != nil || again.State != StateExecuting || again.Attempts != r.Attempts {
			return s.fail(ctx, r, err)
		}
		r, h = again, handoff{} // and read the account again
	}
	s.finish(ctx, o, r)
	return r, nil
}

// defaultRunTries bounds the attempts of one execution at transient
// failures (Config.RunTries); runBackoff is the pause before the second
// (twice it before the third): long enough for a DC over its accept
// queue for a moment to catch up.
const (
	defaultRunTries = 3
	runBackoff      = time.Second
)

// pause waits d or until ctx ends; false when ctx ended.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// claim takes the request for this executor: approved → executing, or
// executing whose lease ran out (its executor died). An approval older
// than the org's approval window is not acted on, whoever finds it: a click,
// a retry or the sweeper. (An approval claims in its own save: decided.)
func (s *Service) claim(ctx context.Context, id string) (*Request, *Org, error) {
	const op = "bot.claim"
	var o *Org
	var takeover bool
	claimed := func(r *Request) (err error) {
		if o, err = s.orgOf(op, r); err != nil {
			return err
		}
		takeover = false
		switch {
		case r.State == StateApproved:
		case r.State == StateExecuting && s.now().After(r.LeaseUntil):
			takeover = true
			s.reqLog(r).Warn().Int("attempt", r.Attempts).Msg("taking over a reset whose executor stopped")
		case r.State == StateExecuting:
			return errorf(op, KindConflict, nil, "This reset is already running.")
		default:
			return errorf(op, KindConflict, nil, "%s", alreadyDecided(r))
		}
		// A stale approval starts nothing. One whose write may already
		// have happened goes on: the write is reconciled with the
		// directory, and repeated only while the approval holds (write).
		if s.approvalStale(o, r) && !r.Steps.WriteIntent {
			_, _, err := s.refuseStale(ctx, o, r) // always an error; it saved r itself
			return err
		}
		if err := r.move(StateExecuting, s.now()); err != nil {
			return err
		}
		r.Attempts++
		r.LeaseUntil = s.now().Add(s.lease)
		r.Failure, r.Retryable = "", false
		return nil
	}
	r, err := s.update(ctx, op, id, claimed)
	if r == nil {
		return nil, nil, err
	}
	if err == nil && takeover {
		_ = s.recordAfter(ctx, "request.taken_over", audit.OK, r, "system", map[string]string{"attempt": fmt.Sprint(r.Attempts)})
	}
	return r, o, err
}

// approvalStale reports whether r's approval is older than the org allows:
// an approval is for now, not for next week.
func (s *Service) approvalStale(o *Org, r *Request) bool {
	return !r.ApprovedAt.IsZero() && s.now().After(r.ApprovedAt.Add(o.Policy.ApprovalTTL))
}

// refuseStale ends a request whose approval ran out before it could run.
func (s *Service) refuseStale(ctx context.Context, o *Org, r *Request) (*Request, *Org, error) {
	msg := fmt.Sprintf("This approval is older than %s, so unlockbot will not act on it; nothing was changed. Submit a new request with /unlock.", o.Policy.ApprovalTTL)
	if err := r.move(StateFailed, s.now()); err != nil {
		return r, o, err
	}
	r.Failure, r.Retryable = msg, false
	if err := s.repo.save(ctx, r); err != nil {
		return r, o, errorf("bot.claim", KindConflict, err, "Another unlockbot worker is handling this request.")
	}
	_ = s.repo.dropPassword(ctx, r.ID)
	_ = s.record(ctx, string(r.Mode)+".refused", audit.Refused, r, "system", map[string]string{"code": "approval_stale", "why": msg})
	s.updateCard(ctx, r)
	s.tell(ctx, r, r.Requester, failedCard(r))
	return r, o, errorf("bot.claim", KindForbidden, nil, "%s", msg)
}

// run is one try of the reset; flushed waits for the try's start to be
// durable, which the directory write must (write). h is what the path
// that claimed the request brings (the first try only).
func (s *Service) run(ctx context.Context, o *Org, r *Request, h handoff, flushed func() error) error {
	var acct identity.Account
	var err error
	created := h.fresh != nil && h.fresh.ID == r.Account.ID && r.Attempts == 1
	prepared := s.prepareSoon(ctx, o, r, created) // the store's answers, while the directory's come
	switch {
	case created:
		acct = *h.fresh
		if rf := guard(acct); rf != nil {
			err = rf
		}
	case h.looked != nil:
		acct, err = s.rechecked(o, r)(h.looked())
	default:
		acct, err = s.recheck(ctx, o, r)
	}
	p, perr := prepared()
	if err == nil {
		err = perr
	}
	if err != nil {
		return err
	}
	// The directory's part (write and read-back) holds one of the org's
	// slots; the ticket work after it does not.
	release := func() {}
	if !r.Steps.Verified {
		if release, err = s.takeSlot(ctx, o, r); err != nil {
			return err
		}
		defer func() {
			if r.readBack != nil {
				// A read-back the try stopped before taking is still a
				// bind on the directory: the slot is its until it ends.
				_, _ = r.readBack()
				r.readBack = nil
			}
			release()
		}()
	}
	pw := p.pw
	counted, err := s.write(ctx, o, r, acct, p, flushed)
	if err != nil {
		return err
	}
	// The unlock's history entry is written during the read-back, and the
	// ticket made when it can be (ticketSoon).
	ahead := s.ticketSoon(ctx, o, r)
	err = s.carried(ctx, r, "verify", &r.Steps.Verified, func() error { return s.verify(ctx, o, r, acct, pw) })
	counted()
	if err != nil {
		if ahead != nil {
			_ = s.ticket(ctx, o, r, ahead) // a ticket made is recorded with the failure
		}
		return err
	}
	release()
	// The account is unlocked and proven: a PSA that does not answer now
	// must not undo that or hold it back. The ticket update waits for the
	// sweeper (ticket_pending.go).
	if err := s.paperwork(ctx, o, r, pw, ahead); err != nil {
		if !isPSAFailure(err) {
			return err
		}
		if err := s.ticketPending(ctx, r, err); err != nil {
			return err
		}
	}
	// Recorded with the done save (finish).
	return s.carried(ctx, r, "audit", &r.Steps.Audited, func() error {
		return s.record(ctx, string(r.Mode)+".completed", audit.OK, r, r.Requester.Key(), map[string]string{
			"ticket": r.Steps.TicketID, "attempts": fmt.Sprint(r.Attempts), "unlocked": boolStr(r.Steps.Unlocked),
			"password_set": boolStr(r.Steps.PasswordSet), "recovered": fmt.Sprint(r.Steps.Recovered)})
	})
}

// recheck reads the account again: membership or state may have changed
// while the request waited, and the directory's answer beats our memory.
func (s *Service) recheck(ctx context.Context, o *Org, r *Request) (identity.Account, error) {
	return s.rechecked(o, r)(o.Directory.Lookup(ctx, r.Account.Username))
}

// rechecked judges a read of r's account made for its try (recheck's, or
// one begun with the approval's claim: lookAhead).
func (s *Service) rechecked(o *Org, r *Request) func(identity.Account, error) (identity.Account, error) {
	return func(acct identity.Account, err error) (identity.Account, error) {
		if err != nil {
			return acct, errorf("bot.recheck", KindUnavailable, err, "%s's directory did not answer: %s", o.Name, SafeMessage(err))
		}
		if acct.ID != r.Account.ID {
			return acct, refusal("account_changed", "The account "+r.Account.Username+" now points to a different directory object than when it was requested. Submit a new request.")
		}
		if rf := guard(acct); rf != nil {
			return acct, rf
		}
		return acct, nil
	}
}

func (s *Service) reserve(ctx context.Context, o *Org, r *Request) error {
	ok, n, err := s.repo.st.Reserve(ctx, limitKey(o, r.Account.Username), r.ID, s.now(), day, o.Policy.MaxResetsPerAccountPerDay)
	if err != nil {
		return errorf("bot.reserve", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
	}
	if !ok {
		return refusal("rate_limit", fmt.Sprintf("%s was unlocked or reset %d times in the last 24 hours, the limit for %s. Escalate to the organization's IT contact.", r.Account.Username, n, o.Name))
	}
	return nil
}

// dirError keeps the directory's own sentence; only "unavailable" errors are
// worth a retry, the rest (policy, rights) need a person.
func (s *Service) dirError(step string, err error) error {
	if k := identity.KindOf(err); k == identity.KindUnavailable || k == identity.KindConflict {
		return errorf("bot."+step, KindUnavailable, err, "%s", SafeMessage(err))
	}
	return refusal(step+"_refused", SafeMessage(err))
}
