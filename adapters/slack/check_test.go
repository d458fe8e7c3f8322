package slack

import (
	"context"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
)

// Check proves the token belongs to the pinned team (and Grid) and the
// bot to the pinned app: a token of another workspace, or a mistyped id
// that would refuse every request, shows up before the first /unlock.
func TestCheckComparesTheWorkspace(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	line, err := e.a.Check(ctx)
	if err != nil || !strings.Contains(line, "("+teamID+")") || !strings.Contains(line, appID) {
		t.Fatalf("check: %q, %v", line, err)
	}
	for _, tc := range []struct {
		name       string
		ws         slacktest.Workspace
		enterprise string // pinned
		want       []string
	}{
		{"token of another workspace", slacktest.Workspace{TeamID: "T2", TeamName: "Other", AppID: appID}, "", []string{"Other (T2)", "slack.team_id is " + teamID}},
		{"bot of another app", slacktest.Workspace{TeamID: teamID, AppID: "A2"}, "", []string{"app A2", "slack.app_id is " + appID}},
		{"another Grid", slacktest.Workspace{TeamID: teamID, AppID: appID, EnterpriseID: "E2"}, "E1", []string{"E2", "slack.enterprise_id is E1"}},
		{"no Grid", slacktest.Workspace{TeamID: teamID, AppID: appID}, "E1", []string{"not part of an Enterprise Grid", "slack.enterprise_id is E1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, nil, func(c *Config) { c.EnterpriseID = tc.enterprise })
			e.fake.SetWorkspace(tc.ws)
			_, err := e.a.Check(ctx)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Fatalf("check error %v, want it to contain %q", err, w)
				}
			}
		})
	}
}
