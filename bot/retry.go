package bot

import (
	"context"

	"github.com/unlockbot/unlockbot/audit"
)

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
