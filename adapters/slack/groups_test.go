package slack

import (
	"context"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
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

const gHelp = "SHELP" // a second group, healthy while SAPPR fails

// groupEnv has two configured groups (SAPPR: the approver; SHELP: the
// technician) and a clock the test moves.
func groupEnv(t *testing.T) (*env, *clock) {
	t.Helper()
	e := newEnvWith(t, nil, func(c *Config) { c.UserGroups = append(c.UserGroups, gHelp) })
	e.fake.SetGroup(gHelp, uTech)
	clk := &clock{}
	e.a.groups.now = clk.now
	return e, clk
}

func (e *env) isApprover(ctx context.Context) bool {
	o, _ := e.svc.Org("acme")
	return o.IsApprover(e.a.actor(ctx, uApprover, ""))
}

func groupCalls(e *env, id string) int {
	n := 0
	for _, c := range e.fake.Calls("usergroups.users.list") {
		if c.Str("usergroup") == id {
			n++
		}
	}
	return n
}

// While Slack fails one group, its last good members keep their roles for
// group_max_stale after its last success, then get none until it answers
// again. A failed group is asked again after 30 s, not on every request,
// and the other group is refreshed as usual.
func TestFailingGroupKeptUntilMaxStaleThenFailsClosed(t *testing.T) {
	e, clk := groupEnv(t)
	ctx := context.Background()
	if !e.isApprover(ctx) {
		t.Fatal("not an approver with Slack answering")
	}
	e.fake.FailGroup(gApprover, "internal_error")
	e.fake.SetGroup(gHelp, uTech, uOther)

	clk.add(6 * time.Minute) // past the 5 min TTL: refreshed, SAPPR fails
	if !e.isApprover(ctx) {
		t.Fatal("lost the role 6 min after the last success")
	}
	if got := e.a.groups.groupsOf(ctx, uOther); len(got) != 1 || got[0] != gHelp {
		t.Fatalf("the healthy group was not refreshed: %q", got)
	}
	clk.add(8 * time.Minute) // 14 min
	if !e.isApprover(ctx) {
		t.Fatal("lost the role 14 min after the last success")
	}
	clk.add(time.Minute + time.Second) // 15 min 1 s
	if e.isApprover(ctx) {
		t.Fatal("still an approver 15 min after the last success while Slack fails the group")
	}
	if got := e.a.groups.groupsOf(ctx, uTech); len(got) != 1 || got[0] != gHelp {
		t.Fatalf("a stale group took the healthy one with it: %q", got)
	}
	n := groupCalls(e, gApprover)
	clk.add(10 * time.Second)
	e.isApprover(ctx)
	e.isApprover(ctx)
	if m := groupCalls(e, gApprover); m != n {
		t.Fatalf("%d more lookups of the failing group within 30 s, want none", m-n)
	}
	e.fake.FailGroup(gApprover, "")
	clk.add(21 * time.Second) // 31 s after the last attempt
	if !e.isApprover(ctx) || groupCalls(e, gApprover) != n+1 {
		t.Fatalf("not an approver again once Slack answers (%d lookups)", groupCalls(e, gApprover)-n)
	}
}

// Groups are refreshed in parallel, one refresh at a time; a group that
// answers late or fails does not hold back or spoil the others.
func TestGroupsRefreshInParallelEachOnItsOwn(t *testing.T) {
	e, clk := groupEnv(t)
	ctx := context.Background()
	e.a.Warm(ctx)
	e.fake.SetGroup(gApprover) // the approver was removed
	e.fake.SetGroup(gHelp, uTech, uOther)
	slow, fast := e.fake.HoldGroup(gApprover), e.fake.HoldGroup(gHelp)
	clk.add(6 * time.Minute)

	got := make(chan []string, 1)
	go func() { got <- e.a.groups.groupsOf(ctx, uOther) }()
	for _, h := range []*slacktest.Held{slow, fast} {
		select {
		case <-h.Arrived():
		case <-time.After(10 * time.Second):
			t.Fatal("one group was asked only after the other had answered")
		}
	}
	// A second caller does not start another refresh; when it cannot wait
	// it gets the last good answer.
	before := len(e.fake.Calls("usergroups.users.list"))
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if g := e.a.groups.groupsOf(gone, uApprover); len(g) != 1 || g[0] != gApprover {
		t.Fatalf("during a refresh: %q, want the last good answer", g)
	}
	if n := len(e.fake.Calls("usergroups.users.list")); n != before {
		t.Fatalf("%d lookups started while one refresh was in flight", n-before)
	}
	fast.Release("")
	slow.Release("internal_error")
	if g := <-got; len(g) != 1 || g[0] != gHelp {
		t.Fatalf("groups %q, want the fresh %s", g, gHelp)
	}
	if g := e.a.groups.groupsOf(ctx, uApprover); len(g) != 1 || g[0] != gApprover {
		t.Fatalf("the failed group lost its last good members at once: %q", g)
	}
}

// A group that never answers is given up after its own timeout; the
// others are answered and the slow one keeps its last good members.
func TestSlowGroupTimesOutAlone(t *testing.T) {
	e, clk := groupEnv(t)
	ctx := context.Background()
	e.a.groups.timeout = 500 * time.Millisecond
	e.a.Warm(ctx)
	e.fake.SetGroup(gHelp, uTech, uOther)
	e.fake.HoldGroup(gApprover) // never released
	clk.add(6 * time.Minute)
	if g := e.a.groups.groupsOf(ctx, uOther); len(g) != 1 || g[0] != gHelp {
		t.Fatalf("groups %q while another group hangs", g)
	}
	if !e.isApprover(ctx) {
		t.Fatal("the hanging group lost its last good members at once")
	}
	if n := groupCalls(e, gApprover); n != 2 {
		t.Fatalf("%d lookups of the hanging group, want 2 (warm-up, then one retry in 30 s)", n)
	}
}

// forget drops what the cache knows (tests that change membership first).
func (g *groupCache) forget() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.entries = map[string]groupEntry{}
}
