package bot

import (
	"context"
	"time"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/bot/store"
)

// Sweep finds requests nobody is moving any more and moves them: an
// undecided request past its deadline is expired (its card updated, the
// requester told); an approved request that no executor claimed, or one
// whose executor's lease ran out (the process died mid-reset), is executed
// here, continuing from its last recorded step; a done reset whose ticket
// update the PSA did not take is tried again when due. Every move is the same
// compare-and-swap a click makes, so replicas may sweep at the same time.
//
// It reads only the requests whose deadline in the due-set has come (every
// save puts it there, deadline.go), so its cost follows the requests in
// flight, not the week of finished ones the store keeps. The first sweep
// on a store written by an older version fills the set once (backfill.go).
// It returns how many requests it moved.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	start := s.now()
	if err := s.backfill(ctx, start); err != nil {
		return 0, errorf("bot.Sweep", KindUnavailable, err, "The state store is not answering.")
	}
	due, err := s.dueRequests(ctx, start)
	if err != nil {
		return 0, errorf("bot.Sweep", KindUnavailable, err, "The state store is not answering.")
	}
	moved := 0
	defer func() {
		open, err := s.repo.st.Scheduled(context.WithoutCancel(ctx), dueSet)
		if err != nil {
			open = s.LastSweep().Open // the store just failed: keep the last figure
		}
		s.lastSweep.Store(&SweepStats{Read: len(due), Open: open, Moved: moved, Took: s.now().Sub(start)})
	}()
	for _, d := range due {
		if ctx.Err() != nil {
			break
		}
		if s.sweepDue(ctx, d) {
			moved++
		}
	}
	return moved, nil
}

// Defaults of Service.dueMax, which bounds the requests one sweep reads
// (the rest are due still, and the next sweep reads them, earliest first),
// and of Service.duePage.
const (
	defaultDueMax  = 10000
	defaultDuePage = 500
)

// dueRequests reads the deadlines due at now, a page at a time, before any
// is acted on (acting moves them, which would shift the pages). A member a
// concurrent writer moved between two pages is read once.
func (s *Service) dueRequests(ctx context.Context, now time.Time) ([]store.Deadline, error) {
	var due []store.Deadline
	seen := map[string]bool{}
	for offset := 0; offset < s.dueMax; {
		limit := min(s.duePage, s.dueMax-offset)
		page, err := s.repo.st.Due(ctx, dueSet, now, offset, limit)
		if err != nil {
			return nil, err
		}
		for _, d := range page {
			if !seen[d.Member] {
				seen[d.Member] = true
				due = append(due, d)
			}
		}
		if len(page) < limit {
			break
		}
		offset += len(page)
	}
	return due, nil
}

// sweepDue looks at one due deadline: it moves the request if something is
// due, or else sets the deadline the request really has (an early one, a
// save that never landed) or drops it (the request ended, expired or is
// not ours). Every change of the set is a compare with the deadline read,
// so a writer's newer deadline wins. It reports whether it moved one.
func (s *Service) sweepDue(ctx context.Context, d store.Deadline) bool {
	drop := func() { _, _ = s.repo.st.Unschedule(ctx, dueSet, d.Member, d.At) }
	if !validID(d.Member) {
		s.malformed(ctx, requestKey(d.Member), "malformed due-set member")
		drop()
		return false
	}
	r, err := s.load(ctx, d.Member)
	switch k := KindOf(err); {
	case err == nil:
	case k == KindNotFound, k == KindForbidden: // gone with its TTL, or tampered (load alerted)
		drop()
		return false
	default:
		return false // the store did not answer: due still, next sweep
	}
	if acted, moved := s.sweepRequest(ctx, r, s.now()); acted {
		return moved // its saves set its next deadline
	}
	at, open := nextDeadline(r, s.lease)
	switch {
	case !open:
		drop()
	case at.UnixMicro() != d.At.UnixMicro():
		_, _ = s.repo.st.Reschedule(ctx, dueSet, d.Member, d.At, at)
	}
	return false
}

// sweepRequest does what is due for r at now. acted: it tried (its saves
// set the next deadline); moved: it moved the request.
func (s *Service) sweepRequest(ctx context.Context, r *Request, now time.Time) (acted, moved bool) {
	switch {
	case (r.State == StatePendingApproval || r.State == StateVerifying) && now.After(r.ExpiresAt):
		s.expire(ctx, r)
		return true, true
	case confirmDue(r, now):
		// The owner did not answer the chat confirmation in time.
		s.confirmTimedOut(ctx, r)
		return true, true
	case r.State == StateSubmitted && now.After(r.ExpiresAt):
		// Never reached an approver (the card could not be recorded).
		s.expireSubmitted(ctx, r)
		return true, true
	case r.State == StateDone && !r.Steps.Notified && now.Sub(r.UpdatedAt) > s.lease && !now.Before(r.Steps.NotifyUntil):
		// Done, but the worker died before telling anyone: without this
		// the requester would never get the Reveal button.
		if o, ok := s.orgs[r.OrgID]; ok {
			s.notifyDone(ctx, o, r)
			return true, true
		}
	case r.State == StateDenied && r.Steps.DenyPending && now.Sub(r.UpdatedAt) > s.lease:
		// Denied, but the worker died before telling anyone.
		s.tellDenied(ctx, r)
		return true, true
	case s.ownerPending(r):
		// The worker died while telling the owner: tell them now.
		if o, ok := s.orgs[r.OrgID]; ok {
			s.notifyOwner(ctx, o, r)
			return true, true
		}
	case r.State == StateDone && r.Steps.TicketPending && !now.Before(r.Steps.TicketRetryAt):
		s.retryTicket(ctx, r.ID)
		return true, true
	case r.State == StateApproved && now.Sub(r.UpdatedAt) > s.lease,
		r.State == StateExecuting && now.After(r.LeaseUntil):
		s.reqLog(r).Warn().Str("state", string(r.State)).Msg("sweep: resuming a reset nobody is running")
		// Moved unless another replica holds it (a conflict); a
		// success or a recorded failure both moved it.
		_, err := s.Execute(ctx, r.ID)
		return true, KindOf(err) != KindConflict
	}
	return false, false
}

// malformed audits, once, a request key (or due-set member) no request of
// ours could have: it was written by someone else. It is never read or
// shown to people.
func (s *Service) malformed(ctx context.Context, key, why string) {
	if first, err := s.repo.st.Mark(ctx, "tamper-key:"+key, requestTTL); err != nil || !first {
		return
	}
	s.log.Error().Str("key", Truncate(key, 80)).Str("event", "request.tampered").Msg("a request key unlockbot never writes is in the store")
	_ = s.audit.Write(ctx, audit.Event{Time: s.now().UTC(), Type: "request.tampered", Actor: "system", Outcome: audit.Refused,
		Detail: map[string]string{"why": why, "key": Truncate(key, 80)}})
}

func (s *Service) expireSubmitted(ctx context.Context, r *Request) {
	if err := r.move(StateFailed, s.now()); err != nil {
		return
	}
	r.Failure, r.Retryable = "This request never reached an approver. Submit it again.", false
	if err := s.repo.save(ctx, r); err != nil {
		return
	}
	_ = s.repo.dropPassword(ctx, r.ID)
	_ = s.recordAfter(ctx, "request.failed", audit.Failed, r, "system", map[string]string{"why": "never reached an approver"})
	s.tell(ctx, r, r.Requester, failedCard(r))
}

// RunSweeper sweeps every interval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.Sweep(ctx); err != nil {
				s.log.Warn().Err(err).Msg("sweep failed")
			} else if n > 0 {
				s.log.Info().Int("moved", n).Msg("sweep moved stuck requests")
			}
		}
	}
}

// SweepStats is what the last sweep saw, for the metrics: how many request
// records it read (the due ones; the backfill's reads are logged), how
// many are still waiting or running (in the due-set after the sweep), how
// many it moved, and how long it took.
type SweepStats struct {
	Read, Open, Moved int
	Took              time.Duration
}

// LastSweep returns the last sweep's figures (zero before the first).
func (s *Service) LastSweep() SweepStats {
	if p := s.lastSweep.Load(); p != nil {
		return *p
	}
	return SweepStats{}
}
