package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/teams"
)

const (
	tTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	tApp    = "8d3f6a8e-2c1b-4b5e-9f00-0000000000a1"
	tUser   = "0b7a2f0e-1111-4a4a-9b9b-00000000c0de"
	tChan   = "19:a1b2c3d4e5f6@thread.tacv2"
)

func teamsYAML(block string) string {
	return "teams: {tenant_id: " + tTenant + ", app_id: " + tApp + "}\norgs:\n  - id: acme\n    directory: {kind: demo, dev_mode: true}\n    teams:\n" + block
}

// An org's Teams people are Entra object ids of the pinned tenant, keyed
// like every actor ("teams:<tenant>:<object id>"), and its channels are
// Bot Framework channel ids.
func TestTeamsBlockBindsByObjectID(t *testing.T) {
	c, err := ParseConfig([]byte(teamsYAML("      channels: [\"" + tChan + "\"]\n      approval_channel: \"" + tChan + "\"\n      technicians: [" + tUser + "]\n      approvers: [" + tUser + "]\n")))
	if err != nil {
		t.Fatal(err)
	}
	var tb platformBinding
	for _, b := range bindingsOf(platforms, c, c.Orgs[0]) {
		if b.Platform == "teams" {
			tb = b
		}
	}
	if tb.Tenant != tTenant || len(tb.Approvers) != 1 || tb.ApprovalChannel != tChan || !tb.canApprove() {
		t.Fatalf("teams binding %+v", tb)
	}
	if got := qualify(tb.Platform, tb.Tenant, tb.Technicians); got[0] != "teams:"+tTenant+":"+tUser {
		t.Fatalf("qualified %v", got)
	}
}

func TestTeamsConfigErrorsNameTheKey(t *testing.T) {
	for _, c := range []struct{ yaml, key, says string }{
		{teamsYAML("      technicians: [\"Alice Admin\"]\n"), "orgs[0].teams.technicians", "object id"},
		{teamsYAML("      approvers: [\"alice@contoso.com\"]\n"), "orgs[0].teams.approvers", "never by name"},
		{teamsYAML("      channels: [\"General\"]\n"), "orgs[0].teams.channels", "19:"},
		{teamsYAML("      approval_channel: \"https://teams.microsoft.com/l/channel/x\"\n"), "orgs[0].teams.approval_channel", "URL-decoded"},
		{strings.Replace(teamsYAML("      channels: []\n"), tTenant, "contoso.onmicrosoft.com", 1), "teams.tenant_id", "Directory (tenant) ID"},
		{strings.Replace(teamsYAML("      channels: []\n"), tApp, "unlockbot", 1), "teams.app_id", "Microsoft App ID"},
		{strings.Replace(teamsYAML("      channels: []\n"), "}", ", conversation_interval: 2m}", 1), "teams.conversation_interval", "between 1ms and 1m"},
		{strings.Replace(teamsYAML("      channels: []\n"), "}", ", conversation_burst: 8}", 1), "teams.conversation_burst", "7 messages a second"},
		{strings.Replace(teamsYAML("      channels: []\n"), "}", ", conversation_burst: -1}", 1), "teams.conversation_burst", "between 1 and 7"},
	} {
		_, err := ParseConfig([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.key+":") || !strings.Contains(err.Error(), c.says) {
			t.Errorf("want an error at %s saying %q, got %v", c.key, c.says, err)
		}
	}
}

// The environment names the tenant and app when the file does not, and
// wins when both do: one file serves the lab and the live bot.
func TestTeamsIDsFromEnvironment(t *testing.T) {
	t.Setenv("TEAMS_TENANT_ID", "11111111-2222-3333-4444-555555555555")
	t.Setenv("TEAMS_APP_ID", "")
	c, err := ParseConfig([]byte(teamsYAML("      channels: []\n")))
	if err != nil {
		t.Fatal(err)
	}
	if c.Teams.TenantID != "11111111-2222-3333-4444-555555555555" || c.Teams.AppID != tApp {
		t.Fatalf("teams ids %+v", c.Teams)
	}
	if err := (TeamsConfig{AppID: tApp}).requireIDs(); err == nil || !strings.Contains(err.Error(), "TEAMS_TENANT_ID") {
		t.Fatalf("missing tenant: %v", err)
	}
	if err := (TeamsConfig{TenantID: tTenant}).requireIDs(); err == nil || !strings.Contains(err.Error(), "TEAMS_APP_ID") {
		t.Fatalf("missing app: %v", err)
	}
}

// A GUID copied in capitals from the Azure portal still matches what the
// Bot Framework sends (lower case).
func TestTeamsGUIDsAreLowerCased(t *testing.T) {
	up := strings.ToUpper
	y := strings.Replace(teamsYAML("      technicians: ["+up(tUser)+"]\n"), tTenant, up(tTenant), 1)
	c, err := ParseConfig([]byte(strings.Replace(y, tApp, up(tApp), 1)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Teams.TenantID != tTenant || c.Teams.AppID != tApp || c.Orgs[0].Teams.Technicians[0] != tUser {
		t.Fatalf("not lower-cased: %+v %v", c.Teams, c.Orgs[0].Teams.Technicians)
	}
}

// The conversation pace is optional (zero: the adapter's defaults, which
// keep to Microsoft's limits); set, it reaches the config as written.
func TestTeamsConversationPace(t *testing.T) {
	c, err := ParseConfig([]byte(teamsYAML("      channels: []\n")))
	if err != nil || c.Teams.ConversationInterval != 0 || c.Teams.ConversationBurst != 0 {
		t.Fatalf("unset pace: %+v, %v", c.Teams, err)
	}
	c, err = ParseConfig([]byte(strings.Replace(teamsYAML("      channels: []\n"), "}", ", conversation_interval: 3s, conversation_burst: 4}", 1)))
	if err != nil || c.Teams.ConversationInterval != 3*time.Second || c.Teams.ConversationBurst != 4 {
		t.Fatalf("set pace: %+v, %v", c.Teams, err)
	}
	// The example documents the defaults as they are.
	b, err := os.ReadFile("../../docs/unlockbot.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"conversation_interval: " + teams.DefaultConversationInterval.String(), "conversation_burst: " + strconv.Itoa(teams.DefaultConversationBurst)} {
		if !strings.Contains(string(b), want) {
			t.Errorf("docs/unlockbot.example.yaml does not say %q", want)
		}
	}
}
