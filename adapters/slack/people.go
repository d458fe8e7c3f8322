package slack

import (
	"context"
	"net/url"
	"time"

	"github.com/unlockbot/unlockbot/bot"
)

// lookupTimeout bounds users.lookupByEmail: the owner notice waits on it.
const lookupTimeout = 5 * time.Second

var _ bot.PersonFinder = (*Adapter)(nil)

// FindByEmail implements bot.PersonFinder with users.lookupByEmail (scope
// users:read.email), for the owner notice: the address comes from the
// directory, and the person found is in this workspace. A deactivated
// user, a bot or a user of another team is not found.
func (a *Adapter) FindByEmail(ctx context.Context, email string) (bot.Actor, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	var out struct {
		User struct {
			ID      string `json:"id"`
			TeamID  string `json:"team_id"`
			Deleted bool   `json:"deleted"`
			IsBot   bool   `json:"is_bot"`
		} `json:"user"`
	}
	err := a.api.callForm(ctx, "users.lookupByEmail", url.Values{"email": {email}}, &out)
	switch {
	case errCode(err) == "users_not_found":
		return bot.Actor{}, false, nil
	case err != nil:
		return bot.Actor{}, false, err
	}
	u := out.User
	if u.ID == "" || u.Deleted || u.IsBot || (u.TeamID != "" && u.TeamID != a.ws.team) {
		return bot.Actor{}, false, nil
	}
	return bot.Actor{Platform: Platform, Tenant: a.ws.team, ID: u.ID}, true, nil
}

var _ bot.ProfileMail = (*Adapter)(nil)

// ProfileEmails implements bot.ProfileMail with users.info (scope
// users:read.email): the address on the person's Slack profile, asked
// each time rather than cached, since a profile's address can change and
// a stale one could name someone else's account. A deactivated user, a
// bot or a user of another team has none.
func (a *Adapter) ProfileEmails(ctx context.Context, who bot.Actor) ([]string, error) {
	if who.Platform != Platform || who.Tenant != a.ws.team || who.ID == "" {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	var out struct {
		User struct {
			TeamID  string `json:"team_id"`
			Deleted bool   `json:"deleted"`
			IsBot   bool   `json:"is_bot"`
			Profile struct {
				Email string `json:"email"`
			} `json:"profile"`
		} `json:"user"`
	}
	if err := a.api.callForm(ctx, "users.info", url.Values{"user": {who.ID}}, &out); err != nil {
		return nil, err
	}
	u := out.User
	if u.Deleted || u.IsBot || (u.TeamID != "" && u.TeamID != a.ws.team) || u.Profile.Email == "" {
		return nil, nil
	}
	return []string{u.Profile.Email}, nil
}
