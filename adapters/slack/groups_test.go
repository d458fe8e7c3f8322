package slack

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot"
)

// The Slack source lists a user group's members with
// usergroups.users.list, and reports Slack's refusals and its own
// deadline as errors (bot's cache then fails closed; its rules are tested
// in bot).
func TestUserGroupsMembers(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	src := userGroups{e.a.api}
	e.fake.SetGroup(gApprover, uApprover, uOther)
	got, err := src.Members(ctx, gApprover)
	if err != nil || !slices.Equal(got, []string{uApprover, uOther}) {
		t.Fatalf("members %q, %v", got, err)
	}
	calls := e.fake.Calls("usergroups.users.list")
	if last := calls[len(calls)-1]; last.Str("usergroup") != gApprover {
		t.Fatalf("asked about %q", last.Str("usergroup"))
	}
	e.fake.FailGroup(gApprover, "internal_error")
	if got, err := src.Members(ctx, gApprover); err == nil || got != nil {
		t.Fatalf("a failing group: %q, %v", got, err)
	}
	if _, err := src.Members(ctx, "SNONE"); err == nil {
		t.Fatal("a group Slack does not know listed without an error")
	}
	e.fake.HoldGroup(gHelp)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := src.Members(short, gHelp); err == nil {
		t.Fatal("a group Slack never answers listed without an error")
	}
}

const gHelp = "SHELP" // a second group

// The adapter's actors carry the groups bot's cache resolves through
// Slack: a role granted to a group follows its membership, and nothing is
// granted while Slack has never answered.
func TestActorsCarryTheirSlackGroups(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	if got := e.a.actor(ctx, uApprover, "").Groups; !slices.Equal(got, []string{gApprover}) {
		t.Fatalf("groups %q", got)
	}
	if got := e.a.actor(ctx, uOther, "").Groups; len(got) != 0 {
		t.Fatalf("groups %q of a user in none", got)
	}
	down := newEnv(t, nil)
	down.fake.FailNext("usergroups.users.list", "internal_error")
	o, _ := down.svc.Org("acme")
	if o.IsApprover(down.a.actor(ctx, uApprover, "")) {
		t.Fatal("an approver by group without an answer from Slack")
	}
}

// forgetGroups drops what the adapter's cache knows (tests that change
// membership after the env asked Slack), for newEnv's one group.
func (e *env) forgetGroups() {
	e.a.groups = bot.NewGroupCache(userGroups{e.a.api}, []string{gApprover}, 0, 0, e.a.now, zerolog.Nop())
}

// Complete gives groups only to users of the pinned team on Slack: an
// actor of another platform or workspace is returned as it came.
func TestCompleteOnlyOurUsers(t *testing.T) {
	e := newEnv(t, nil)
	in := bot.Actor{Platform: Platform, Tenant: teamID, ID: uApprover, Name: "appr"}
	if got := e.a.Complete(context.Background(), in); len(got.Groups) != 1 || got.Groups[0] != gApprover {
		t.Fatalf("our approver completed to %+v", got)
	}
	for _, foreign := range []bot.Actor{{Platform: "teams", Tenant: teamID, ID: uApprover}, {Platform: Platform, Tenant: "T999", ID: uApprover}} {
		if got := e.a.Complete(context.Background(), foreign); len(got.Groups) != 0 || got.Name != foreign.Name {
			t.Fatalf("%+v completed to %+v", foreign, got)
		}
	}
}
