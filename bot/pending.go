package bot

import (
	"context"
	"errors"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

// password returns the request's password: the one typed, or the one
// generated (and sealed) the first time it was needed.
func (s *Service) password(ctx context.Context, o *Org, r *Request) (identity.Secret, error) {
	if !r.Generated || r.Steps.PasswordReady {
		// A generated password already made must be the one reused: a new
		// one would not match what an earlier attempt may have set.
		pw, err := s.repo.password(ctx, r.ID)
		if errors.Is(err, store.ErrNotFound) {
			return pw, refusal("password_expired", "The password for this request is no longer kept (passwords are held only briefly). Submit a new request.")
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
	pw, err := s.repo.storePassword(ctx, r.ID, gen, revealTTL)
	if err != nil {
		return pw, errorf("bot.password", KindUnavailable, err, "The state store is not answering. Try again in a minute.")
	}
	return pw, nil
}

// generate makes a password that passes the org's own policy for this
// account (a passphrase could fall short of min_password_length, or either
// could by chance contain the account name): a few tries, then an error.
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
		if CheckPassword(pw, p, acct) == "" {
			return pw, nil
		}
	}
	return identity.Secret{}, errors.New("no generated password met the policy in 20 tries; raise passphrase_words or generated_length")
}
