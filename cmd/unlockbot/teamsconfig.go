package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// TeamsConfig pins the one Entra tenant and Azure Bot this unlockbot
// serves on Teams. Tokens for another app or tenant are refused, and the
// object ids in the orgs' teams blocks are taken as ids of this tenant.
// Both may come from TEAMS_TENANT_ID and TEAMS_APP_ID instead; the
// environment wins, so one config file serves a test and a live bot.
type TeamsConfig struct {
	TenantID string `yaml:"tenant_id"` // the Directory (tenant) ID of the Entra tenant
	AppID    string `yaml:"app_id"`    // the Azure Bot's Microsoft App ID (its app registration's client id)
	// ConversationInterval and ConversationBurst pace the bot's messages
	// per conversation, across replicas; zero takes the adapter's
	// defaults, which keep to Microsoft's per bot per thread limit
	// (teams.DefaultConversationInterval, teams.DefaultConversationBurst).
	ConversationInterval time.Duration `yaml:"conversation_interval"`
	ConversationBurst    int           `yaml:"conversation_burst"`
}

var guidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// teamsChannelRe is a Teams channel id as the Bot Framework names it
// (channelData.channel.id), which "Get link to channel" shows URL-encoded.
var teamsChannelRe = regexp.MustCompile(`^19:[A-Za-z0-9_\-.]+@thread\.(tacv2|skype)$`)

const howToFindTenant = "it is the Directory (tenant) ID on the app registration's Overview page in the Azure portal"

// fromEnv takes the ids from the environment where set, and writes every
// GUID in lower case, as the Bot Framework sends them: the tenant, the
// audience and object ids are compared exactly, and a GUID copied in
// capitals from a portal must not refuse everyone.
func (t *TeamsConfig) fromEnv() {
	if v := strings.TrimSpace(os.Getenv("TEAMS_TENANT_ID")); v != "" {
		t.TenantID = v
	}
	if v := strings.TrimSpace(os.Getenv("TEAMS_APP_ID")); v != "" {
		t.AppID = v
	}
	t.TenantID, t.AppID = lowerGUID(t.TenantID), lowerGUID(t.AppID)
}

func lowerGUID(s string) string {
	if guidRe.MatchString(s) {
		return strings.ToLower(s)
	}
	return s
}

// lowerGUIDs is lowerGUID of each; other ids stay as written.
func (c *ChatConfig) lowerGUIDs() {
	for _, l := range []*[]string{&c.Technicians, &c.Approvers, &c.Admins, &c.AuthorizedRequesters} {
		for i, id := range *l {
			(*l)[i] = lowerGUID(id)
		}
	}
}

func (t TeamsConfig) validate(bad func(string, string, ...any)) {
	if t.TenantID != "" && !guidRe.MatchString(t.TenantID) {
		bad("teams.tenant_id", "must be the Entra tenant's id (a GUID): %s; got %q", howToFindTenant, t.TenantID)
	}
	if t.AppID != "" && !guidRe.MatchString(t.AppID) {
		bad("teams.app_id", "must be the Azure Bot's Microsoft App ID (a GUID), got %q", t.AppID)
	}
	if iv := t.ConversationInterval; iv != 0 && (iv < time.Millisecond || iv > time.Minute) {
		bad("teams.conversation_interval", "must be between 1ms and 1m (got %s); Teams allows 1800 messages an hour per conversation, one per 2s", iv)
	}
	if b := t.ConversationBurst; b != 0 && (b < 1 || b > 7) {
		bad("teams.conversation_burst", "must be between 1 and 7 (got %d): Teams allows 7 messages a second per conversation", b)
	}
}

// validateTeams checks an org's teams block: people by Entra object id
// (GUIDs: a display name can be changed to anyone's), channels by their
// Bot Framework id.
func (c ChatConfig) validateTeams(k string, bad func(string, string, ...any)) {
	for _, l := range []struct {
		key string
		ids []string
	}{{"technicians", c.Technicians}, {"approvers", c.Approvers}, {"admins", c.Admins}, {"authorized_requesters", c.AuthorizedRequesters}} {
		for _, id := range l.ids {
			if !guidRe.MatchString(id) {
				bad(k+"."+l.key, "%q is not an Entra object id (a GUID; Entra admin center → Users → the user → Object ID): roles are checked by object id, never by name", id)
			}
		}
	}
	const how = "is not a Teams channel id (19:…@thread.tacv2: the part after /channel/ in the channel's link, URL-decoded)"
	for _, ch := range c.Channels {
		if !teamsChannelRe.MatchString(ch) {
			bad(k+".channels", "%q %s", ch, how)
		}
	}
	if ch := c.ApprovalChannel; ch != "" && !teamsChannelRe.MatchString(ch) {
		bad(k+".approval_channel", "%q %s", ch, how)
	}
}

// requireTeamsIDs is the start-up check for a bot with Teams on.
func (t TeamsConfig) requireIDs() error {
	switch {
	case t.AppID == "":
		return fmt.Errorf("config: TEAMS_APP_ID (or teams.app_id) is required with TEAMS_APP_PASSWORD: tokens for any other app are refused")
	case t.TenantID == "":
		return fmt.Errorf("config: TEAMS_TENANT_ID (or teams.tenant_id) is required with TEAMS_APP_PASSWORD (single-tenant bot): %s", howToFindTenant)
	}
	return nil
}
