package main

import (
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/bot"
)

// A second platform is one table entry: its org block and tenant become
// principals qualified with its name, next to Slack's, and a request made
// on it finds its own approval channel.
func TestSecondPlatformIsATableEntry(t *testing.T) {
	cfg, err := ParseConfig([]byte(pinned + `
orgs:
  - id: acme
    directory: {kind: demo, dev_mode: true}
    slack: {channels: [C1], approval_channel: C9, technicians: [U1], approvers: [S1]}
`))
	if err != nil {
		t.Fatal(err)
	}
	chat := platform{
		name: "chat",
		block: func(OrgConfig) ChatConfig {
			return ChatConfig{Channels: []string{"19:room"}, ApprovalChannel: "19:approvals", Technicians: []string{"29:tess"}, Approvers: []string{"29:lee"}}
		},
		tenant: func(*Config) string { return "tenant-1" },
	}
	o := &bot.Org{ID: "acme"}
	bind(o, bindingsOf(append(platforms, chat), cfg, cfg.Orgs[0]))
	for what, got := range map[string][]string{
		"slack:T1:U1,chat:tenant-1:29:tess": o.Technicians,
		"slack:T1:S1,chat:tenant-1:29:lee":  o.Approvers,
		"slack:C1,chat:19:room":             o.Channels,
	} {
		if strings.Join(got, ",") != what {
			t.Errorf("got %q, want %s", got, what)
		}
	}
	if o.ApprovalChannel["slack"] != "C9" || o.ApprovalChannel["chat"] != "19:approvals" {
		t.Errorf("approval channels %v", o.ApprovalChannel)
	}
	tess := bot.Actor{Platform: "chat", Tenant: "tenant-1", ID: "29:tess"}
	if !o.IsTechnician(tess) || o.IsApprover(tess) {
		t.Error("the second platform's technician is not one (or is an approver)")
	}
	if o.IsTechnician(bot.Actor{Platform: "chat", Tenant: "tenant-2", ID: "29:tess"}) {
		t.Error("an id of another tenant is taken for the configured one")
	}
}

// The approval warning speaks of the platforms an org uses, and of all of
// them when it uses none.
func TestApprovalWarningPerPlatform(t *testing.T) {
	ok := platformBinding{Platform: "slack", Approvers: []string{"S1"}, ApprovalChannel: "C9"}
	unused := platformBinding{Platform: "chat"}
	half := platformBinding{Platform: "chat", Technicians: []string{"29:tess"}, ApprovalChannel: "19:approvals"}
	for _, c := range []struct {
		bs   []platformBinding
		want string
	}{
		{[]platformBinding{ok}, ""},
		{[]platformBinding{ok, unused}, ""},
		{[]platformBinding{{Platform: "slack"}}, "has no slack.approval_channel or slack.approvers"},
		{[]platformBinding{ok, half}, "has no chat.approval_channel or chat.approvers"},
		{[]platformBinding{{Platform: "slack"}, unused}, "has no slack.approval_channel or slack.approvers, nor chat.approval_channel or chat.approvers"},
	} {
		if got := approvalWarning(c.bs); got != c.want {
			t.Errorf("%+v: got %q, want %q", c.bs, got, c.want)
		}
	}
}

// The warning for a Slack-only org reads as it always has.
func TestApprovalWarningText(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
orgs:
  - id: acme
    directory: {kind: demo, dev_mode: true}
    slack: {channels: [C1], technicians: [U1]}
`))
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Warnings()
	want := "orgs[0] (acme) requires approval but has no slack.approval_channel or slack.approvers: its chat requests will be refused until both are set"
	if len(w) != 1 || w[0] != want {
		t.Fatalf("warnings %q, want [%q]", w, want)
	}
}
