package bot

import (
	"context"
	"strings"

	"github.com/unlockbot/unlockbot/identity"
)

// ProfileMail is optional on a Notifier: the e-mail addresses the chat
// platform's own profile gives a person (Teams: the member's email and
// userPrincipalName). A platform without it may offer PersonFinder, asked
// the other way round (whose is this address?).
type ProfileMail interface {
	ProfileEmails(ctx context.Context, a Actor) ([]string, error)
}

// isSelf reports whether acct is a's own account: the directory's mail or
// UPN is the address the platform knows a by. known is false when the
// platform cannot tell (no lookup, or it failed): the caller decides which
// way that falls.
func (s *Service) isSelf(ctx context.Context, a Actor, acct identity.Account) (self, known bool) {
	addrs := []string{acct.Mail, acct.UPN}
	n := s.notifiers[a.Platform]
	if pm, ok := n.(ProfileMail); ok {
		mine, err := pm.ProfileEmails(ctx, a)
		if err != nil {
			s.log.Warn().Err(err).Str("actor", a.Key()).Msg("profile e-mail lookup failed")
			return false, false
		}
		for _, m := range mine {
			for _, addr := range addrs {
				if m != "" && strings.EqualFold(m, addr) {
					return true, true
				}
			}
		}
		return false, true
	}
	pf, ok := n.(PersonFinder)
	if !ok {
		return false, false
	}
	for _, addr := range addrs {
		if addr == "" {
			continue
		}
		who, found, err := pf.FindByEmail(ctx, addr)
		if err != nil {
			s.log.Warn().Err(err).Str("actor", a.Key()).Msg("chat user lookup by e-mail failed")
			return false, false
		}
		if found && who.Same(a) {
			return true, true
		}
	}
	return false, true
}

// checkRequester applies policy.authorized_requesters: when the org lists
// any, a technician not listed may ask only for their own account, and an
// account whose owner the platform cannot confirm is not theirs. Submit
// audits the refusal as request.refused, why not_authorized_requester.
func (s *Service) checkRequester(ctx context.Context, o *Org, a Actor, acct identity.Account) *Refusal {
	// cli is break glass (BreakGlass): chat roles do not apply to it.
	if len(o.Policy.AuthorizedRequesters) == 0 || a.Platform == "cli" || hasAny(o.Policy.AuthorizedRequesters, a.principals()) {
		return nil
	}
	if self, _ := s.isSelf(ctx, a, acct); self {
		return nil
	}
	return &Refusal{"not_authorized_requester", "You may ask only for your own account in " + o.Name + ". Ask an authorized requester to ask for this one."}
}
