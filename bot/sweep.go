package bot

import (
	"context"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/audit"
)

// Sweep finds requests nobody is moving any more and moves them: an
// undecided request past its deadline is expired (its card updated, the
// requester told); an approved request that no executor claimed, or one
// whose executor's lease ran out (the process died mid-reset), is executed
// here, continuing from its last recorded step; a done reset whose ticket
// update the PSA did not take is tried again when due. Every move is the same
// compare-and-swap a click makes, so replicas may sweep at the same time.
// It returns how many requests it moved.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	start := s.now()
	keys, err := s.repo.st.List(ctx, "req:")
	if err != nil {
		return 0, errorf("bot.Sweep", KindUnavailable, err, "The state store is not answering.")
	}
	moved, open := 0, 0
	defer func() {
		s.lastSweep.Store(&SweepStats{Read: len(keys), Open: open, Moved: moved, Took: s.now().Sub(start)})
	}()
	for _, k := range keys {
		if ctx.Err() != nil {
			break
		}
		id := strings.TrimPrefix(k, "req:")
		if !validID(id) {
			s.malformed(ctx, k)
			continue
		}
		r, err := s.load(ctx, id)
		if err != nil {
			continue // expired or deleted since the listing, or tampered (alerted)
		}
		now := s.now()
		if stillOpen(r) {
			open++
		}
		switch {
		case (r.State == StatePendingApproval || r.State == StateVerifying) && now.After(r.ExpiresAt):
			s.expire(ctx, r)
			moved++
		case r.State == StateSubmitted && now.After(r.ExpiresAt):
			// Never reached an approver (the card could not be recorded).
			s.expireSubmitted(ctx, r)
			moved++
		case r.State == StateDone && !r.Steps.Notified && now.Sub(r.UpdatedAt) > s.lease:
			// Done, but the worker died before telling anyone: without this
			// the requester would never get the Reveal button.
			if o, ok := s.orgs[r.OrgID]; ok {
				s.notifyDone(ctx, o, r)
				moved++
			}
		case s.ownerPending(r):
			// The worker died while telling the owner: tell them now.
			if o, ok := s.orgs[r.OrgID]; ok {
				s.notifyOwner(ctx, o, r)
				moved++
			}
		case r.State == StateDone && r.Steps.TicketPending && !now.Before(r.Steps.TicketRetryAt):
			s.retryTicket(ctx, r.ID)
			moved++
		case r.State == StateApproved && now.Sub(r.UpdatedAt) > s.lease,
			r.State == StateExecuting && now.After(r.LeaseUntil):
			s.reqLog(r).Warn().Str("state", string(r.State)).Msg("sweep: resuming a reset nobody is running")
			// Moved unless another replica holds it (a conflict); a
			// success or a recorded failure both moved it.
			if _, err := s.Execute(ctx, r.ID); KindOf(err) != KindConflict {
				moved++
			}
		}
	}
	return moved, nil
}

// malformed audits, once, a request key no request of ours could have: it
// was written by someone else. The key is never read or shown to people.
func (s *Service) malformed(ctx context.Context, key string) {
	if first, err := s.repo.st.Mark(ctx, "tamper-key:"+key, requestTTL); err != nil || !first {
		return
	}
	s.log.Error().Str("key", Truncate(key, 80)).Str("event", "request.tampered").Msg("a request key unlockbot never writes is in the store")
	_ = s.audit.Write(ctx, audit.Event{Time: s.now().UTC(), Type: "request.tampered", Actor: "system", Outcome: audit.Refused,
		Detail: map[string]string{"why": "malformed key", "key": Truncate(key, 80)}})
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
// records it read (today every one in the store, finished or not), how
// many are still waiting or running, how many it moved, and how long it took.
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

// stillOpen: waiting for a person or a worker, or for its ticket update.
func stillOpen(r *Request) bool {
	switch r.State {
	case StateSubmitted, StatePendingApproval, StateVerifying, StateApproved, StateExecuting:
		return true
	}
	return r.State == StateDone && r.Steps.TicketPending
}
