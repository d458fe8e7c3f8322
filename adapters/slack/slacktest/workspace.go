package slacktest

// The workspace and app the fake is, as auth.test and bots.info tell them:
// the bot pins its team and app id in config, and `unlockbot check` compares
// them with these answers.

// The fake's identity unless SetWorkspace changes it. Tests build payloads
// from the same constants, so "our" workspace is one value everywhere.
const (
	DefaultTeamID   = "T1"
	DefaultTeamName = "Test Workspace"
	DefaultAppID    = "A0FAKE"
	BotUserID       = "UBOT"
	BotID           = "BBOT"
)

// Workspace is who the bot token belongs to.
type Workspace struct {
	TeamID       string
	TeamName     string
	EnterpriseID string // "" = not part of an Enterprise Grid
	AppID        string
}

func defaultWorkspace() Workspace {
	return Workspace{TeamID: DefaultTeamID, TeamName: DefaultTeamName, AppID: DefaultAppID}
}

// SetWorkspace makes the token belong to another team, enterprise or app
// (a bot token of the wrong workspace, a mistyped app id).
func (s *Server) SetWorkspace(w Workspace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ws = w
}

func (s *Server) workspace() Workspace {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ws
}

// authTest answers like Slack: enterprise_id only inside a Grid.
func (s *Server) authTest() answer {
	w := s.workspace()
	a := answer{"ok": true, "url": "https://" + w.TeamID + ".slack.test/", "team": w.TeamName, "team_id": w.TeamID,
		"user": "unlockbot", "user_id": BotUserID, "bot_id": BotID, "is_enterprise_install": false}
	if w.EnterpriseID != "" {
		a["enterprise_id"] = w.EnterpriseID
	}
	return a
}

// botsInfo knows the one bot: it names the app it belongs to.
func (s *Server) botsInfo(c Call) answer {
	if c.Str("bot") == "" {
		return fail2("missing_argument")
	}
	if c.Str("bot") != BotID {
		return fail2("bot_not_found")
	}
	w := s.workspace()
	return answer{"ok": true, "bot": map[string]any{"id": BotID, "deleted": false, "name": "unlockbot",
		"app_id": w.AppID, "user_id": BotUserID}}
}
