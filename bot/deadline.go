package bot

import "time"

// dueSet is the store's sorted set of request deadlines: every save of a
// request puts its next deadline there first, so a sweep reads the
// requests that are due, not every record the store keeps for a week.
const dueSet = "sweep:due"

// nextDeadline is when the sweeper must next look at r, the first moment
// Sweep may find something to do; false when nothing is left for it (the
// request ended, its messages sent and its ticket updated or given up).
// Each case mirrors one in sweepRequest.
func nextDeadline(r *Request, lease time.Duration) (time.Time, bool) {
	switch r.State {
	case StateSubmitted, StatePendingApproval, StateVerifying:
		// A chat confirmation nobody answered (verify_confirm.go).
		if c := r.Verify.Confirm; c != nil && c.Deadline.Before(r.ExpiresAt) {
			return c.Deadline, true
		}
		return r.ExpiresAt, true
	case StateApproved:
		return r.UpdatedAt.Add(lease), true
	case StateExecuting:
		return r.LeaseUntil, true
	case StateDone:
		at, open := time.Time{}, false
		if !r.Steps.Notified {
			// After the lease, and not while a worker is sending them.
			at, open = r.UpdatedAt.Add(lease), true
			if r.Steps.NotifyUntil.After(at) {
				at = r.Steps.NotifyUntil
			}
		}
		if r.Steps.TicketPending && (!open || r.Steps.TicketRetryAt.Before(at)) {
			at, open = r.Steps.TicketRetryAt, true
		}
		// An owner notice begun and not recorded as finished (owner.go).
		if owner := r.Steps.OwnerNoticeAt.Add(lease); !r.Steps.OwnerNotified && !r.Steps.OwnerNoticeAt.IsZero() && (!open || owner.Before(at)) {
			at, open = owner, true
		}
		return at, open
	case StateDenied:
		if r.Steps.DenyPending {
			// Denied, and nobody told yet: after the lease of whoever denied.
			return r.UpdatedAt.Add(lease), true
		}
	}
	return time.Time{}, false
}
