package slack

import (
	"context"
	"fmt"
	"net/url"
)

// Check asks Slack who the bot token belongs to (auth.test) and which app
// the bot is (bots.info), for `unlockbot check`: a wrong or revoked token,
// a token of another workspace, or a mistyped team or app id (which would
// refuse every request) shows up before the first technician types
// /unlock. The config keys named are cmd's (slack.team_id, …).
func (a *Adapter) Check(ctx context.Context) (string, error) {
	var who struct {
		User         string `json:"user"`
		UserID       string `json:"user_id"`
		Team         string `json:"team"`
		TeamID       string `json:"team_id"`
		EnterpriseID string `json:"enterprise_id"`
		BotID        string `json:"bot_id"`
	}
	if err := a.api.callForm(ctx, "auth.test", url.Values{}, &who); err != nil {
		return "", err
	}
	ws := fmt.Sprintf("%s (%s)", who.Team, who.TeamID)
	if who.TeamID != a.ws.team {
		return "", fmt.Errorf("the bot token belongs to workspace %s, but slack.team_id is %s: use the bot token of that workspace, or set slack.team_id to %s if it is the one to serve", ws, a.ws.team, who.TeamID)
	}
	if a.ws.enterprise != "" && who.EnterpriseID != a.ws.enterprise {
		grid := "is not part of an Enterprise Grid"
		if who.EnterpriseID != "" {
			grid = "is in Enterprise Grid " + who.EnterpriseID
		}
		return "", fmt.Errorf("workspace %s %s, but slack.enterprise_id is %s: correct or remove slack.enterprise_id", ws, grid, a.ws.enterprise)
	}
	var bot struct {
		Bot struct {
			AppID string `json:"app_id"`
		} `json:"bot"`
	}
	if err := a.api.callForm(ctx, "bots.info", url.Values{"bot": {who.BotID}}, &bot); err != nil {
		return "", err
	}
	if bot.Bot.AppID != a.ws.app {
		return "", fmt.Errorf("the bot token belongs to app %s, but slack.app_id is %s: every request would be refused; set slack.app_id to the App ID on api.slack.com/apps", bot.Bot.AppID, a.ws.app)
	}
	return fmt.Sprintf("bot token belongs to @%s (%s) of app %s in workspace %s", who.User, who.UserID, bot.Bot.AppID, ws), nil
}
