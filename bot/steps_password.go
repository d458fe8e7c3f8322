package bot

import (
	"context"
	"errors"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

// password returns the request's password: the one typed, or the one
// generated (and sealed) the first time it was needed.
func (s *Service) password(ctx context.Context, o *Org, r *Request) (identity.Secret, error) {
	if !r.Generated && !r.sealed.IsZero() {
		return r.sealed, nil // what the store holds: this copy sealed it (storePassword)
	}
	if !r.Generated || r.Steps.PasswordReady {
		// A generated password already made must be the one reused: a new
		// one would not match what an earlier attempt may have set.
		pw, err := s.repo.password(ctx, r.ID)
		if errors.Is(err, store.ErrNotFound) && r.Steps.PasswordSet {
			return pw, refusal("password_expired", "The new password was set, but unlockbot no longer holds it (the reset could not finish in time), so it cannot be proven or shown. Submit a new request with /unlock.")
		}
		if errors.Is(err, store.ErrNotFound) {
			return pw, refusal("password_expired", "The password for this request is no longer kept (passwords are held only briefly); nothing was changed. Submit a new request with /unlock.")
		}
		if err != nil {
			return pw, errorf("bot.password", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
		}
		return pw, nil
	}
	gen, err := generate(o.Policy, r.Account)
	if err != nil {
		return gen, errorf("bot.password", KindInternal, err, "A password could not be generated. Try again.")
	}
	pw, err := s.repo.storePassword(ctx, r.ID, gen, max(revealTTL, s.pendingTTL(o)))
	if err != nil {
		return pw, errorf("bot.password", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
	}
	return pw, nil
}

// pendingTTL is how long a request's password must be kept from its
// approval on: through the approval window, in which the reset may be
// retried, and two leases for a takeover after that.
func (s *Service) pendingTTL(o *Org) time.Duration { return o.Policy.ApprovalTTL + 2*s.lease }

// keepPassword extends a typed password over the window an approval opens.
func (s *Service) keepPassword(ctx context.Context, o *Org, r *Request) {
	if err := s.repo.keepPassword(ctx, r.ID, s.pendingTTL(o)); err != nil {
		s.reqLog(r).Warn().Err(err).Msg("could not extend the typed password's lifetime; a late retry may need a new request")
	}
}

// needsPassword reports whether the rest of the reset still uses the
// password: to write it, to prove it by a bind, or to put it in the ticket
// note. A password no longer needed is not loaded, so a late retry of the
// paperwork does not fail on a password the store has let go.
func needsPassword(r *Request) bool {
	return r.setsPassword() && (!r.Steps.PasswordSet || !r.Steps.Verified || (r.NoteToPSA && !r.Steps.TicketNoted))
}

// generate makes a password that passes the org's own policy for this
// account (a passphrase could fall short of min_password_length, or either
// could by chance contain the account name or a word of the org's
// blocklist): a few tries, then an error. It is not sent to the breach
// screen: a random password is in no breach, and asking would only leak
// its hash prefix.
func generate(p Policy, acct AccountRef) (identity.Secret, error) {
	for range 20 {
		var pw identity.Secret
		var err error
		if p.PassphraseWords > 0 {
			pw, err = GeneratePassphrase(p.PassphraseWords)
		} else {
			pw, err = GeneratePassword(p.GeneratedLength)
		}
		if err != nil {
			return pw, err
		}
		if CheckPassword(pw, p, acct) == "" && !p.blocklist().Blocked(pw) {
			return pw, nil
		}
	}
	return identity.Secret{}, errors.New("no generated password met the policy in 20 tries; raise passphrase_words or generated_length")
}
