package slack

import (
	"context"
	"fmt"
	"net/url"
)

// Check asks Slack who the bot token belongs to (auth.test), for
// `unlockbot check`: a wrong or revoked token shows up before the first
// technician types /unlock.
func (a *Adapter) Check(ctx context.Context) (string, error) {
	var out struct {
		User   string `json:"user"`
		UserID string `json:"user_id"`
		Team   string `json:"team"`
		TeamID string `json:"team_id"`
	}
	if err := a.api.callForm(ctx, "auth.test", url.Values{}, &out); err != nil {
		return "", err
	}
	return fmt.Sprintf("bot token belongs to @%s (%s) in workspace %s (%s)", out.User, out.UserID, out.Team, out.TeamID), nil
}
