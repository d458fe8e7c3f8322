package slack

import (
	"context"
	"net/url"
)

// userGroups lists Slack user-group members for bot.GroupCache: the one
// call that is Slack's; caching, timeouts and failing closed are bot's.
type userGroups struct{ api *webAPI }

// Members asks usergroups.users.list for the user ids in group id (S…).
func (u userGroups) Members(ctx context.Context, id string) ([]string, error) {
	var out struct {
		Users []string `json:"users"`
	}
	if err := u.api.callForm(ctx, "usergroups.users.list", url.Values{"usergroup": {id}}, &out); err != nil {
		return nil, err
	}
	return out.Users, nil
}

// Warm fetches group membership now (call at startup so the first command
// does not wait for it).
func (a *Adapter) Warm(ctx context.Context) { a.groups.Warm(ctx) }
