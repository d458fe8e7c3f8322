package teams

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/bot"
)

var _ bot.ProfileMail = (*Adapter)(nil)

// errOtherTenant: the person is not of the tenant this bot serves, so
// nothing Teams says about them here may name an account.
var errOtherTenant = errors.New("teams: the person is not in this bot's tenant")

// ProfileEmails implements bot.ProfileMail: the e-mail and UPN of the
// person's Entra profile, as the Bot Connector's member lookup in their
// personal chat with the bot answers them. Asked of Teams each time, not
// remembered: a profile's address can change, and a stale one could name
// someone else's account.
func (a *Adapter) ProfileEmails(ctx context.Context, who bot.Actor) ([]string, error) {
	if who.Platform != Platform || who.Tenant != a.cfg.TenantID || who.ID == "" {
		return nil, errOtherTenant
	}
	conv, svcURL, err := a.personal(ctx, who.ID)
	if err != nil {
		return nil, err
	}
	m, err := a.conn.Member(ctx, svcURL, conv, who.ID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, addr := range []string{m.Email, m.UserPrincipalName} {
		if addr = strings.TrimSpace(addr); addr != "" {
			out = append(out, addr)
		}
	}
	return out, nil
}

// lookupTimeout bounds FindByEmail: the owner notice and the chat
// confirmation wait on it.
const lookupTimeout = 5 * time.Second

var _ bot.PersonFinder = (*Adapter)(nil)

// FindByEmail implements bot.PersonFinder: Teams has no lookup of a user by
// address across the tenant, but the connector's member lookup in a team
// channel takes a UPN. The channels asked are those the bot posted
// approvals in and the orgs' configured approval channels (where an org's
// people are, known before the first card); someone in none of them, or
// of another tenant, is not found. The person is named by their Entra
// object id, as every Teams actor is, and their Bot Framework id is
// remembered so Notify can open their personal chat.
func (a *Adapter) FindByEmail(ctx context.Context, email string) (bot.Actor, bool, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return bot.Actor{}, false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	svcURL := a.refs.serviceURL(ctx)
	for _, ch := range a.lookupChannels(ctx) {
		m, err := a.conn.Member(ctx, svcURL, ch, email)
		var apiErr *APIError
		switch {
		case errors.As(err, &apiErr) && (apiErr.Code == "MemberNotFoundInConversation" || apiErr.Code == "ConversationNotFound"):
			continue // not in this channel, or the bot left it: ask the next
		case err != nil:
			return bot.Actor{}, false, err
		}
		if m.AadObjectID == "" || (m.TenantID != "" && m.TenantID != a.cfg.TenantID) {
			continue
		}
		who := a.bare(m.AadObjectID, m.Name)
		if m.ID != "" {
			if err := a.refs.saw(ctx, who.ID, userRef{MRI: m.ID}); err != nil {
				a.log.Warn().Err(err).Msg("could not record the person's id")
			}
		}
		return who, true, nil
	}
	return bot.Actor{}, false, nil
}

// lookupChannels are the channels FindByEmail asks, each once: those
// posted in, newest first, then the configured approval channels. A
// never-used channel is reached on the tenant's service URL, which any of
// its activities recorded (refs.serviceURL).
func (a *Adapter) lookupChannels(ctx context.Context) []string {
	out := a.refs.channels(ctx)
	for _, ch := range a.cfg.ApprovalChannels {
		if ch != "" && !slices.Contains(out, ch) {
			out = append(out, ch)
		}
	}
	return out
}
