package slack

import (
	"context"
	"testing"
	"time"
)

func TestGroupCacheTTLAndFailClosed(t *testing.T) {
	e := newEnv(t, nil)
	now := time.Now()
	g := e.a.groups
	g.now = func() time.Time { return now }
	ctx := context.Background()
	if got := g.groupsOf(ctx, uApprover); len(got) != 1 || got[0] != gApprover {
		t.Fatalf("groups %q", got)
	}
	calls := len(e.fake.Calls("usergroups.users.list"))
	e.fake.SetGroup(gApprover) // removed from the group
	g.groupsOf(ctx, uApprover)
	if n := len(e.fake.Calls("usergroups.users.list")); n != calls {
		t.Fatalf("refreshed inside the TTL (%d calls)", n-calls)
	}
	now = now.Add(6 * time.Minute)
	if got := g.groupsOf(ctx, uApprover); len(got) != 0 {
		t.Fatalf("after TTL still in %q", got)
	}

	// Slack down and nothing known: no groups (roles fail closed).
	e2 := newEnv(t, nil)
	e2.fake.FailNext("usergroups.users.list", "internal_error")
	if got := e2.a.groups.groupsOf(ctx, uApprover); len(got) != 0 {
		t.Fatalf("groups %q without an answer from Slack", got)
	}
	e2.a.groups.groupsOf(ctx, uApprover)
	if n := len(e2.fake.Calls("usergroups.users.list")); n != 1 {
		t.Fatalf("%d group lookups during an outage, want 1 (then a 30 s pause)", n)
	}
}
