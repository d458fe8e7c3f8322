package bot

import "context"

// redelivered answers a job handed out again (the replica that first took
// it stopped before it was done) whose decision found the request already
// moved. That move was most likely the first delivery's own, so it is no
// refusal to tell the clicker. The job carries on from where the request
// is: a reset approved, or running without a live executor, is resumed
// from its recorded steps; one running under a live lease, finished,
// failed or denied is left alone (whoever ran it told people). A move
// someone else made (another approver decided first) is still told, as
// on a first delivery. Retry records no retrier, so any state a retry
// leads to counts as this job's.
func (s *Service) redelivered(ctx context.Context, j Job, who Actor, conflict error) error {
	r, err := s.load(ctx, j.RequestID)
	if err != nil {
		return err
	}
	log := s.clickLog(j.Actor, j.Action, j.RequestID)
	if j.Action != ActionRetry && (r.Approver == nil || !r.Approver.Same(who)) {
		return conflict
	}
	if j.Action == ActionDeny && r.State == StateDenied && r.Steps.DenyPending {
		// Its first delivery denied and stopped before telling anyone.
		log.Info().Int("delivery", j.Delivery).Msg("job delivered again tells the denial its first delivery did not")
		s.tellDenied(ctx, r)
		return nil
	}
	if j.Action == ActionDeny || (r.State != StateApproved && r.State != StateExecuting) {
		log.Info().Int("delivery", j.Delivery).Str("state", string(r.State)).Msg("job delivered again finds its work done; nothing more to do")
		return nil
	}
	_, err = s.Execute(ctx, r.ID)
	if KindOf(err) == KindConflict {
		// Another executor holds a live lease: it finishes the reset.
		log.Info().Int("delivery", j.Delivery).Err(err).Msg("job delivered again finds its reset running elsewhere; left to it")
		return nil
	}
	return err
}
