package bot

import (
	"context"

	"github.com/unlockbot/unlockbot/identity"
)

// PasswordScreen looks a typed password up in a list of breached passwords
// kept elsewhere (Have I Been Pwned's range API, bot/pwned). An error means
// it could not tell; the org's policy decides what that does.
type PasswordScreen interface {
	Breached(ctx context.Context, pw identity.Secret) (bool, error)
}

// The sentences beside the password field. Each says what to do next, as
// the form's own hint does ("Leave empty to generate one").
const (
	msgCommonPassword   = "That password is on a list of common passwords; choose another, or leave the field empty to generate one."
	msgBreachedPassword = "That password has appeared in a data breach; choose another, or leave the field empty to generate one."
	msgUnscreened       = "The check for leaked passwords is not answering, so a typed password cannot be accepted now; leave the field empty to generate one."
)

// blocklist is the org's list, or the shipped one.
func (p Policy) blocklist() *Blocklist {
	if p.Blocklist != nil {
		return p.Blocklist
	}
	return CommonPasswords()
}

// screenPassword refuses a typed password that is common, on the org's own
// list, or breached; the local list first, as it costs nothing and sends
// nothing anywhere. Neither the password nor anything derived from it is
// logged.
func (s *Service) screenPassword(ctx context.Context, o *Org, r *Request, pw identity.Secret) error {
	p := o.Policy
	if p.blocklist().Blocked(pw) {
		return invalidWhy("password_common", FieldPassword, msgCommonPassword)
	}
	if p.Breaches == nil {
		return nil
	}
	breached, err := p.Breaches.Breached(ctx, pw)
	switch {
	case err == nil && breached:
		return invalidWhy("password_breached", FieldPassword, msgBreachedPassword)
	case err == nil:
		return nil
	case p.AllowUnscreened:
		s.reqLog(r).Warn().Err(err).Msg("breached-password check failed; the typed password is taken unchecked (policy allows it)")
		return nil
	}
	s.reqLog(r).Warn().Err(err).Msg("breached-password check failed; the typed password is refused (policy)")
	return invalidWhy("password_unscreened", FieldPassword, msgUnscreened)
}
