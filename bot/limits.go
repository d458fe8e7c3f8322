package bot

import (
	"cmp"
	"context"
	"time"
)

// Limits bound what one technician can do, whatever their orgs: a
// compromised or socially engineered account cannot queue up dozens of
// resets. They count chat requests; break-glass resets from the CLI are
// held by the per-account daily limit and the audit trail instead.
type Limits struct {
	// OpenPerTechnician is how many requests one technician may have
	// waiting or running at once (default 5).
	OpenPerTechnician int
	// PerTechnicianPerHour is how many requests one technician may submit
	// in any hour (default 20).
	PerTechnicianPerHour int
	// Burst alerts the approvers to unusual volume (burst.go).
	Burst Burst
}

func (l Limits) withDefaults() Limits {
	l.OpenPerTechnician = cmp.Or(l.OpenPerTechnician, 5)
	l.PerTechnicianPerHour = cmp.Or(l.PerTechnicianPerHour, 20)
	l.Burst = l.Burst.withDefaults()
	return l
}

// openWindow is how long an open request holds its place if nothing
// releases it (its worker died): longer than any approval may wait.
const openWindow = 25 * time.Hour

func openKey(a Actor) string { return "tech:open:" + a.Key() }
func hourKey(a Actor) string { return "tech:hour:" + a.Key() }

// ended reports whether a request no longer counts as open.
func (r *Request) ended() bool { return r.State.Final() || r.State == StateFailed }

// reserveTechnician takes a place among the technician's open requests
// and this hour's; over a limit it takes neither and returns the audit
// reason and the sentence.
func (s *Service) reserveTechnician(ctx context.Context, r *Request) (why string, err error) {
	a, now := r.Requester, s.now()
	unavailable := func(err error) error {
		return errorf("bot.Submit", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
	}
	ok, n, err := s.repo.st.Reserve(ctx, openKey(a), r.ID, now, openWindow, s.limits.OpenPerTechnician)
	if err != nil {
		return "", unavailable(err)
	}
	if !ok {
		return "technician_open_limit", errorf("bot.Submit", KindForbidden, nil,
			"You have %d requests open, the most one technician may have at once. Wait until they are decided (or ask an approver to decide them), then try again.", n)
	}
	ok, _, err = s.repo.st.Reserve(ctx, hourKey(a), r.ID, now, time.Hour, s.limits.PerTechnicianPerHour)
	if err == nil && !ok {
		err = errorf("bot.Submit", KindForbidden, nil,
			"You submitted %d requests in the last hour, the most one technician may. Try again later, or ask an unlockbot admin if this is an emergency.", s.limits.PerTechnicianPerHour)
		why = "technician_rate_limit"
	} else if err != nil {
		err = unavailable(err)
	}
	if err != nil {
		_ = s.repo.st.Release(ctx, openKey(a), r.ID)
	}
	return why, err
}
