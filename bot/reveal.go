package bot

import (
	"context"
	"errors"
	"time"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
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

// RevealPassword hands a generated password to the requester, once. The
// reveal is audited durably first (if that fails, nothing is consumed),
// then the request is marked revealed and the sealed copy deleted before
// the password is returned: whatever the chat platform then does (shows
// it, fails, times out after showing it), nobody can see it a second time
// without a new request and a new approval.
func (s *Service) RevealPassword(ctx context.Context, id string, who Actor) (identity.Secret, *Request, error) {
	const op = "bot.RevealPassword"
	var pw identity.Secret
	audited := false // durably, by the first attempt; a conflict retried is one reveal
	r, err := s.update(ctx, op, id, func(r *Request) error {
		if !who.Same(r.Requester) {
			_ = s.recordAfter(ctx, "password.reveal_refused", audit.Refused, r, who.Key(), nil)
			return errorf(op, KindForbidden, nil, "Only the technician who asked for this reset can see the password.")
		}
		if r.State != StateDone || !r.Generated || r.Revealed {
			return errorf(op, KindConflict, nil, "The password can be shown only once, after the reset is done. If it was lost, submit a new request with /unlock.")
		}
		var err error
		if pw, err = s.repo.password(ctx, r.ID); err != nil {
			return errorf(op, KindNotFound, err, "The password is no longer kept. Submit a new request with /unlock.")
		}
		if !audited {
			if err := s.record(ctx, "password.revealed", audit.OK, r, who.Key(), nil); err != nil {
				return err
			}
			audited = true
		}
		r.Revealed = true
		return nil
	})
	if errors.Is(err, errNotSaved) {
		_ = s.recordAfter(ctx, "password.reveal_failed", audit.Failed, r, "system", map[string]string{"why": "state store"})
		return identity.Secret{}, r, errorf(op, KindUnavailable, err, "The state store is not answering, so the password was not shown. Try again in a minute.")
	}
	if err != nil {
		return identity.Secret{}, r, err
	}
	if err := s.repo.dropPassword(ctx, r.ID); err != nil {
		s.reqLog(r).Warn().Err(err).Msg("could not delete the revealed password; it expires within the hour")
	}
	return pw, r, nil
}

// ConfirmReveal records a showing the platform reports as failed. It does
// not re-arm Reveal: a platform that reports a failure may have shown it.
// A showing that worked needs no record beyond password.revealed.
func (s *Service) ConfirmReveal(ctx context.Context, id string, shown bool) error {
	if shown {
		return nil
	}
	r, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	return s.recordAfter(ctx, "password.reveal_failed", audit.Failed, r, "system", nil)
}
