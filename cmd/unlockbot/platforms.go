package main

import (
	"fmt"
	"strings"

	"github.com/unlockbot/unlockbot/bot"
)

// platformBinding is one chat platform's view of one org, in neutral
// terms: the ids the org's block lists, and the tenant (workspace, Entra
// tenant) they belong to. bot.Org is built from all of an org's bindings,
// so no code below the table knows which platforms exist.
type platformBinding struct {
	Platform        string
	Tenant          string
	Technicians     []string
	Approvers       []string
	Channels        []string
	ApprovalChannel string
	Admins          []string
	Requesters      []string // authorized_requesters
}

// platform says where one chat platform's settings live in the config.
type platform struct {
	name string
	// block is the org's block for this platform (orgs[].slack, …); the
	// zero ChatConfig when the org does not use the platform.
	block func(OrgConfig) ChatConfig
	// tenant is the one tenant the bot serves on this platform; user and
	// group ids of every org block are taken as ids of it.
	tenant func(*Config) string
}

// platforms are the chat platforms an org may be reached on. Adding one is
// an entry here, its ChatConfig field on OrgConfig, and an adapterFactory.
var platforms = []platform{
	{name: "slack", block: func(o OrgConfig) ChatConfig { return o.Slack }, tenant: func(c *Config) string { return c.Slack.TeamID }},
	{name: "teams", block: func(o OrgConfig) ChatConfig { return o.Teams }, tenant: func(c *Config) string { return c.Teams.TenantID }},
}

// bindingsOf reads one org's bindings, one per platform in ps.
func bindingsOf(ps []platform, c *Config, oc OrgConfig) []platformBinding {
	out := make([]platformBinding, 0, len(ps))
	for _, p := range ps {
		b := p.block(oc)
		out = append(out, platformBinding{
			Platform: p.name, Tenant: p.tenant(c),
			Technicians: b.Technicians, Approvers: b.Approvers, Channels: b.Channels,
			ApprovalChannel: b.ApprovalChannel, Admins: b.Admins, Requesters: b.AuthorizedRequesters,
		})
	}
	return out
}

// bind sets the org's people and channels from its bindings, qualified the
// way bot.Actor keys them.
func bind(o *bot.Org, bs []platformBinding) {
	o.Technicians, o.Approvers, o.Channels, o.Admins, o.Policy.AuthorizedRequesters = nil, nil, nil, nil, nil
	o.ApprovalChannel = make(map[string]string, len(bs))
	for _, b := range bs {
		o.Technicians = append(o.Technicians, qualify(b.Platform, b.Tenant, b.Technicians)...)
		o.Approvers = append(o.Approvers, qualify(b.Platform, b.Tenant, b.Approvers)...)
		o.Admins = append(o.Admins, qualify(b.Platform, b.Tenant, b.Admins)...)
		o.Policy.AuthorizedRequesters = append(o.Policy.AuthorizedRequesters, qualify(b.Platform, b.Tenant, b.Requesters)...)
		o.Channels = append(o.Channels, qualify(b.Platform, "", b.Channels)...)
		o.ApprovalChannel[b.Platform] = b.ApprovalChannel
	}
}

// qualify turns the config's bare ids into principals the way bot.Actor
// keys them: "slack:T1:U123" for a user or group of team T1. Channels are
// qualified without the tenant ("slack:C123") because bot.Org.OwnsChannel
// is asked with the platform alone; an adapter serves one tenant, so a
// channel id cannot name a channel of another.
func qualify(platform, tenant string, ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, bot.Actor{Platform: platform, Tenant: tenant, ID: id}.Key())
	}
	return out
}

// inUse reports whether the org lists anyone or anything on the platform.
func (b platformBinding) inUse() bool {
	return len(b.Technicians)+len(b.Approvers)+len(b.Admins)+len(b.Channels) > 0 || b.ApprovalChannel != ""
}

// canApprove reports whether a request made on the platform can reach an
// approver there.
func (b platformBinding) canApprove() bool {
	return b.ApprovalChannel != "" && len(b.Approvers) > 0
}

// approvalWarning is why an org that requires approval would refuse chat
// requests, or "": a platform it uses lacks an approval channel or
// approvers, or (when it uses none) no platform has both.
func approvalWarning(bs []platformBinding) string {
	var missing, all []string
	approvable := false
	for _, b := range bs {
		keys := fmt.Sprintf("%[1]s.approval_channel or %[1]s.approvers", b.Platform)
		all = append(all, keys)
		approvable = approvable || b.canApprove()
		if b.inUse() && !b.canApprove() {
			missing = append(missing, keys)
		}
	}
	if len(missing) == 0 && !approvable {
		missing = all
	}
	if len(missing) == 0 {
		return ""
	}
	return "has no " + strings.Join(missing, ", nor ")
}
