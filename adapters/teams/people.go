package teams

import (
	"context"
	"errors"
	"strings"

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
