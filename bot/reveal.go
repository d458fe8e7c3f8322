package bot

import (
	"context"
	"time"
)

// confirmBudget is the reveal outcome's own budget: showing the password
// may have used up the click's context, and the outcome belongs in the
// audit trail either way.
const confirmBudget = 5 * time.Second

// Reveal shows a generated password to its requester, once: it takes the
// password (RevealPassword: audited, marked revealed, the sealed copy
// deleted), hands show the reveal card, and records a showing show reports
// as failed. A failed showing does not re-arm Reveal: the platform may
// have shown it before it failed. Every platform, the CLI and the demo
// reveal through here.
func (s *Service) Reveal(ctx context.Context, id string, who Actor, show func(context.Context, Card) error) error {
	pw, req, err := s.RevealPassword(ctx, id, who)
	if err != nil {
		return err
	}
	showErr := show(ctx, revealCard(req, pw))
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), confirmBudget)
	defer cancel()
	if err := s.ConfirmReveal(cctx, id, showErr == nil); err != nil {
		s.reqLog(req).Warn().Err(err).Msg("could not record the reveal outcome")
	}
	if showErr != nil {
		return &revealFailed{showErr}
	}
	return nil
}

// revealFailed: the platform did not confirm it showed the password. It
// may have (a timeout after the window opened), so it is not shown again.
type revealFailed struct{ err error }

func (e *revealFailed) Error() string { return "password not shown: " + e.err.Error() }
func (e *revealFailed) Unwrap() error { return e.err }
func (e *revealFailed) SafeMessage() string {
	return "The chat app did not confirm the password window opened. The password is shown only once, so it cannot be shown again: if you did not see it, submit a new request with /unlock (it needs a new approval)."
}
