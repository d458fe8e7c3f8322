package bot

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
)

// A PSA that does not answer after the account was unlocked and proven
// must not undo the reset or hold the technician back: the request is
// done, its ticket update pending, and the sweeper retries the paperwork
// (create, note, resolve, each still at most once) until it goes through
// or the org's ticket_retry_for has passed. The thread and the audit
// trail say both: that it was pending, and how it ended.

// psaFailure marks an error of the PSA itself (it did not answer, or
// refused the call), as opposed to the state store or the audit trail,
// which stop a reset as before.
type psaFailure struct {
	err error
	// final: trying again cannot help (the ticket moved to another
	// company); the update is given up at once.
	final bool
}

func (e *psaFailure) Error() string { return e.err.Error() }
func (e *psaFailure) Unwrap() error { return e.err }

func psaFailed(err error) error { return &psaFailure{err: err} }

func isPSAFailure(err error) bool {
	var pf *psaFailure
	return errors.As(err, &pf)
}

// Retry spacing of a pending ticket update: doubling from a minute (or
// Config.TicketRetryFirst), at most half an hour apart.
const (
	ticketRetryFirst = time.Minute
	ticketRetryMax   = 30 * time.Minute
)

func ticketBackoff(first time.Duration, tries int) time.Duration {
	// 16 doublings reach the cap from any first wait of a second or more,
	// and cannot overflow.
	return min(first<<min(max(tries-1, 0), 16), ticketRetryMax)
}

// paperwork is the ticket's part of a reset: create (unless one was
// picked), note, resolve (a ticket it created).
func (s *Service) paperwork(ctx context.Context, o *Org, r *Request, pw identity.Secret, ahead func() (psa.Ticket, error)) error {
	if err := s.ticket(ctx, o, r, ahead); err != nil {
		return err
	}
	if err := s.note(ctx, o, r, pw); err != nil {
		return err
	}
	// Resolving a resolved ticket changes nothing, so the resolve rides
	// with the next save too.
	return s.carried(ctx, r, "resolve", &r.Steps.TicketResolved, func() error { return s.resolve(ctx, o, r) })
}

// ticketPending records that the PSA did not take the ticket update and
// when to try again. The first time, it is audited durably.
func (s *Service) ticketPending(ctx context.Context, r *Request, cause error) error {
	var pf *psaFailure
	if errors.As(cause, &pf) && pf.final {
		r.Steps.TicketError = SafeMessage(cause)
		r.Steps.TicketPending, r.Steps.TicketGaveUp = false, true
		if err := s.renew(ctx, r); err != nil {
			return err
		}
		return s.record(ctx, "ticket.gave_up", audit.Refused, r, "system", map[string]string{"why": r.Steps.TicketError})
	}
	first := !r.Steps.TicketPending
	r.Steps.TicketPending, r.Steps.TicketError = true, SafeMessage(cause)
	r.Steps.TicketTries++
	r.Steps.TicketRetryAt = s.now().Add(ticketBackoff(s.ticketRetryFirst, r.Steps.TicketTries))
	if err := s.renew(ctx, r); err != nil {
		return err
	}
	s.reqLog(r).Warn().Err(cause).Int("tries", r.Steps.TicketTries).Time("retry_at", r.Steps.TicketRetryAt).Msg("ticket update pending: the PSA did not take it")
	if first {
		return s.record(ctx, "ticket.pending", audit.Failed, r, "system", map[string]string{"why": r.Steps.TicketError})
	}
	return nil
}

// errNotDue stops retryTicket's claim: nothing to do now.
var errNotDue = errors.New("no ticket update due")

// retryTicket runs a pending ticket update once more (the sweeper calls it
// when it is due). Its claim moves the next try forward by a lease, in one
// compare-and-swap: of replicas sweeping at once, one runs it.
func (s *Service) retryTicket(ctx context.Context, id string) {
	const op = "bot.retryTicket"
	var o *Org
	r, err := s.update(ctx, op, id, func(r *Request) (err error) {
		if r.State != StateDone || !r.Steps.TicketPending || s.now().Before(r.Steps.TicketRetryAt) {
			return errNotDue
		}
		if o, err = s.orgOf(op, r); err != nil {
			return err
		}
		r.Steps.TicketRetryAt = s.now().Add(s.lease)
		r.LeaseUntil = r.Steps.TicketRetryAt
		return nil
	})
	if err != nil {
		return
	}
	if s.now().After(r.DoneAt.Add(o.Policy.TicketRetryFor)) {
		s.ticketGaveUp(ctx, r)
		return
	}
	var pw identity.Secret
	if r.NoteToPSA && r.setsPassword() && !r.Steps.TicketNoted {
		pw, err = s.repo.password(ctx, r.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			r.Steps.NotePasswordLost = true // revealed, or past its lifetime: the note goes without it
		case err != nil:
			return // the store is down: next sweep
		}
	}
	if err := s.paperwork(ctx, o, r, pw, nil); err != nil {
		if isPSAFailure(err) {
			if s.ticketPending(ctx, r, err) == nil && r.Steps.TicketGaveUp {
				s.updateCard(ctx, r)
				s.thread(ctx, r, ticketGaveUpCard(r))
			}
		} else {
			s.reqLog(r).Warn().Err(err).Msg("pending ticket update stopped; the sweeper tries again")
		}
		return
	}
	r.Steps.TicketPending, r.Steps.TicketError = false, ""
	if err := s.repo.save(ctx, r); err != nil {
		s.reqLog(r).Warn().Err(err).Msg("pending ticket update done but not recorded; the sweeper finds it done next time")
		return
	}
	_ = s.record(ctx, "ticket.completed_late", audit.OK, r, "system", map[string]string{"ticket": r.Steps.TicketID, "tries": strconv.Itoa(r.Steps.TicketTries),
		"password_lost": boolStr(r.Steps.NotePasswordLost)})
	s.updateCard(ctx, r)
	s.thread(ctx, r, ticketLateCard(o, r))
}

// ticketGaveUp ends the retries and says so where the technician looks.
func (s *Service) ticketGaveUp(ctx context.Context, r *Request) {
	r.Steps.TicketPending, r.Steps.TicketGaveUp = false, true
	if err := s.repo.save(ctx, r); err != nil {
		return // the next sweep gives up again
	}
	_ = s.record(ctx, "ticket.gave_up", audit.Failed, r, "system", map[string]string{"why": r.Steps.TicketError, "tries": strconv.Itoa(r.Steps.TicketTries)})
	s.reqLog(r).Error().Str("why", r.Steps.TicketError).Msg("gave up on the ticket update")
	s.updateCard(ctx, r)
	c := ticketGaveUpCard(r)
	s.thread(ctx, r, c)
	s.tell(ctx, r, r.Requester, c)
}
