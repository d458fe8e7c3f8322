package slack

import (
	"context"
	"slices"
	"testing"

	"github.com/unlockbot/unlockbot/bot"
)

// The owner notice finds the owner by the directory's address: found in
// this workspace, not found when nobody (or only a deactivated user) has
// it, and a Slack failure is an error, not "nobody".
func TestFindByEmail(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.fake.SetEmail("Alice@Example.test", "U0ALICE")
	e.fake.SetDeletedEmail("gone@example.test", "U0GONE")
	a, found, err := e.a.FindByEmail(ctx, "alice@example.test")
	if err != nil || !found || a.ID != "U0ALICE" || a.Tenant != teamID || a.Platform != Platform {
		t.Fatalf("alice: %+v %t %v", a, found, err)
	}
	for _, addr := range []string{"nobody@example.test", "gone@example.test"} {
		if _, found, err := e.a.FindByEmail(ctx, addr); err != nil || found {
			t.Errorf("%s: found %t, %v", addr, found, err)
		}
	}
	e.fake.FailNext("users.lookupByEmail", "missing_scope")
	if _, found, err := e.a.FindByEmail(ctx, "alice@example.test"); err == nil || found {
		t.Fatalf("missing scope: found %t, %v", found, err)
	}
	if calls := e.fake.Calls("users.lookupByEmail"); len(calls) != 4 || calls[0].Str("email") != "alice@example.test" {
		t.Fatalf("calls %+v", calls)
	}
}

// The person's own address comes from users.info's profile.email, asked
// every time; a deactivated user, another workspace's user or a profile
// without an address has none, and a Slack failure is an error.
func TestProfileEmails(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.fake.SetEmail("alice@example.test", "U0ALICE")
	e.fake.SetDeletedEmail("gone@example.test", "U0GONE")
	e.fake.SetUser("U0NOMAIL", "No Mail")
	me := func(id string) bot.Actor { return bot.Actor{Platform: Platform, Tenant: teamID, ID: id} }
	for range 2 {
		if got, err := e.a.ProfileEmails(ctx, me("U0ALICE")); err != nil || !slices.Equal(got, []string{"alice@example.test"}) {
			t.Fatalf("alice: %q, %v", got, err)
		}
	}
	for _, a := range []bot.Actor{me("U0GONE"), me("U0NOMAIL"), {Platform: Platform, Tenant: "T0OTHER", ID: "U0ALICE"}, {Platform: "teams", Tenant: teamID, ID: "U0ALICE"}} {
		if got, err := e.a.ProfileEmails(ctx, a); err != nil || got != nil {
			t.Errorf("%+v: %q, %v; want none", a, got, err)
		}
	}
	if got, err := e.a.ProfileEmails(ctx, me("U0NOBODY")); err == nil || got != nil {
		t.Fatalf("unknown user: %q, %v; want an error", got, err)
	}
	if n := len(e.fake.Calls("users.info")); n != 5 {
		t.Fatalf("%d users.info calls, want 5 (one per ask, none for another team's or platform's person)", n)
	}
}
