package bot

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// fakeGroups is a platform's group listing: members per group, groups
// that fail, calls a test holds until it releases them, and a count of
// calls per group.
type fakeGroups struct {
	mu      sync.Mutex
	members map[string][]string
	failing map[string]bool
	held    map[string]*heldCall
	calls   map[string]int
}

// heldCall is a Members call kept waiting until release (or its deadline).
type heldCall struct {
	arrived chan struct{}
	release chan error
}

func newFakeGroups() *fakeGroups {
	return &fakeGroups{members: map[string][]string{}, failing: map[string]bool{}, held: map[string]*heldCall{}, calls: map[string]int{}}
}

func (f *fakeGroups) set(id string, users ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members[id] = users
}

func (f *fakeGroups) fail(id string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing[id] = on
}

// hold makes the next call for id wait for release.
func (f *fakeGroups) hold(id string) *heldCall {
	h := &heldCall{arrived: make(chan struct{}), release: make(chan error, 1)}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held[id] = h
	return h
}

func (f *fakeGroups) count(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[id]
}

func (f *fakeGroups) Members(ctx context.Context, id string) ([]string, error) {
	f.mu.Lock()
	f.calls[id]++
	h := f.held[id]
	delete(f.held, id)
	f.mu.Unlock()
	if h != nil {
		close(h.arrived)
		select {
		case err := <-h.release:
			if err != nil {
				return nil, err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing[id] {
		return nil, errors.New("internal_error")
	}
	return slices.Clone(f.members[id]), nil
}

const (
	gAppr = "G-approvers"
	gHelp = "G-helpdesk"
)

// groupFixture is a cache of two groups (approvers: U2; helpdesk: U1) on
// a clock the test moves, with the default TTL and staleness.
func groupFixture(t *testing.T) (*GroupCache, *fakeGroups, *clock) {
	t.Helper()
	src := newFakeGroups()
	src.set(gAppr, "U2")
	src.set(gHelp, "U1")
	clk := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	return NewGroupCache(src, []string{gAppr, gHelp}, 0, 0, clk.now, zerolog.Nop()), src, clk
}

// arrived waits for held calls to reach the source: all of them at once,
// since each group is asked on its own.
func arrived(t *testing.T, hs ...*heldCall) {
	t.Helper()
	for _, h := range hs {
		select {
		case <-h.arrived:
		case <-time.After(5 * time.Second):
			t.Fatal("a group was not asked (or only after another had answered)")
		}
	}
}

func in(g *GroupCache, user string) []string { return g.GroupsOf(context.Background(), user) }

// Members are asked once per TTL: a removal shows only after it, and
// exactly at the TTL the last answer still stands.
func TestGroupCacheTTL(t *testing.T) {
	g, src, clk := groupFixture(t)
	if got := in(g, "U2"); !slices.Equal(got, []string{gAppr}) {
		t.Fatalf("groups %q", got)
	}
	src.set(gAppr) // removed from the group
	clk.add(DefaultGroupTTL)
	if got := in(g, "U2"); len(got) != 1 || src.count(gAppr) != 1 {
		t.Fatalf("refreshed inside the TTL: %q after %d calls", got, src.count(gAppr))
	}
	clk.add(time.Second)
	if got := in(g, "U2"); len(got) != 0 || src.count(gAppr) != 2 {
		t.Fatalf("after the TTL still in %q (%d calls)", got, src.count(gAppr))
	}
}

// Nothing known and the source failing: no groups, and the source is not
// asked again for 30 s (then it is).
func TestGroupCacheFailsClosedWithoutAnAnswer(t *testing.T) {
	g, src, clk := groupFixture(t)
	src.fail(gAppr, true)
	if got := in(g, "U2"); len(got) != 0 {
		t.Fatalf("groups %q without an answer", got)
	}
	clk.add(retryGroupsAfter - time.Second)
	in(g, "U2")
	if n := src.count(gAppr); n != 1 {
		t.Fatalf("%d lookups within 30 s of a failure, want 1", n)
	}
	src.fail(gAppr, false)
	clk.add(time.Second) // exactly 30 s after the failure
	if got := in(g, "U2"); !slices.Equal(got, []string{gAppr}) || src.count(gAppr) != 2 {
		t.Fatalf("30 s after a failure: %q after %d lookups", got, src.count(gAppr))
	}
}

// While the source fails one group, its last good members keep their
// roles until maxStale after its last success (exactly then too), then
// get none until it answers again; the other group goes on as usual.
func TestFailingGroupKeptUntilMaxStaleThenFailsClosed(t *testing.T) {
	g, src, clk := groupFixture(t)
	if got := in(g, "U2"); len(got) != 1 {
		t.Fatalf("groups %q", got)
	}
	src.fail(gAppr, true)
	src.set(gHelp, "U1", "U3")
	clk.add(6 * time.Minute) // past the TTL: refreshed, the approvers fail
	if got := in(g, "U2"); !slices.Equal(got, []string{gAppr}) {
		t.Fatalf("lost the role 6 min after the last success: %q", got)
	}
	if got := in(g, "U3"); !slices.Equal(got, []string{gHelp}) {
		t.Fatalf("the healthy group was not refreshed: %q", got)
	}
	clk.add(DefaultGroupMaxStale - 6*time.Minute) // exactly 15 min
	if got := in(g, "U2"); !slices.Equal(got, []string{gAppr}) {
		t.Fatalf("lost the role at exactly max-stale: %q", got)
	}
	clk.add(time.Second)
	if got := in(g, "U2"); len(got) != 0 {
		t.Fatalf("still in %q 15 min 1 s after the last success", got)
	}
	if got := in(g, "U1"); !slices.Equal(got, []string{gHelp}) {
		t.Fatalf("a stale group took the healthy one with it: %q", got)
	}
	src.fail(gAppr, false)
	clk.add(retryGroupsAfter)
	if got := in(g, "U2"); !slices.Equal(got, []string{gAppr}) {
		t.Fatalf("not back once the source answers: %q", got)
	}
}

// A ttl longer than maxStale is cut to it, so a success is renewed before
// it would stop counting; zero takes the defaults.
func TestGroupCacheDefaultsAndTTLCap(t *testing.T) {
	d := NewGroupCache(newFakeGroups(), nil, 0, 0, nil, zerolog.Nop())
	if d.ttl != DefaultGroupTTL || d.maxStale != DefaultGroupMaxStale || d.timeout != time.Second || d.now == nil {
		t.Fatalf("defaults: ttl %s max-stale %s timeout %s", d.ttl, d.maxStale, d.timeout)
	}
	if DefaultGroupTTL != 5*time.Minute || DefaultGroupMaxStale != 15*time.Minute || retryGroupsAfter != 30*time.Second {
		t.Fatal("the documented figures changed: update the docs and the config reference with them")
	}
	src := newFakeGroups()
	src.set(gAppr, "U2")
	clk := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	g := NewGroupCache(src, []string{gAppr}, time.Hour, 10*time.Minute, clk.now, zerolog.Nop())
	in(g, "U2")
	clk.add(10*time.Minute + time.Second)
	if got := in(g, "U2"); len(got) != 1 || src.count(gAppr) != 2 {
		t.Fatalf("a 1 h TTL over a 10 min max-stale: %q after %d lookups, want renewed", got, src.count(gAppr))
	}
	if got := NewGroupCache(src, nil, 0, 0, clk.now, zerolog.Nop()).GroupsOf(context.Background(), "U2"); got != nil || src.count(gAppr) != 2 {
		t.Fatal("a cache of no groups asked the source")
	}
}

// Groups are refreshed in parallel, one refresh at a time; a group that
// answers late or fails does not hold back or spoil the others, and a
// caller who cannot wait gets the last good answer.
func TestGroupsRefreshInParallelEachOnItsOwn(t *testing.T) {
	g, src, clk := groupFixture(t)
	g.Warm(context.Background())
	src.set(gAppr) // the approver was removed
	src.set(gHelp, "U1", "U3")
	slow, fast := src.hold(gAppr), src.hold(gHelp)
	clk.add(6 * time.Minute)

	got := make(chan []string, 1)
	go func() { got <- in(g, "U3") }()
	arrived(t, slow, fast)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if got := g.GroupsOf(gone, "U2"); !slices.Equal(got, []string{gAppr}) {
		t.Fatalf("during a refresh: %q, want the last good answer", got)
	}
	if n := src.count(gAppr) + src.count(gHelp); n != 4 {
		t.Fatalf("%d lookups, want 4: another refresh started while one was in flight", n)
	}
	fast.release <- nil
	slow.release <- errors.New("internal_error")
	if g := <-got; !slices.Equal(g, []string{gHelp}) {
		t.Fatalf("groups %q, want the fresh %s", g, gHelp)
	}
	if got := in(g, "U2"); !slices.Equal(got, []string{gAppr}) {
		t.Fatalf("the failed group lost its last good members at once: %q", got)
	}
}

// A group that never answers is given up after its own timeout; the others
// are answered and the slow one keeps its last good members.
func TestSlowGroupTimesOutAlone(t *testing.T) {
	g, src, clk := groupFixture(t)
	g.timeout = 200 * time.Millisecond
	g.Warm(context.Background())
	src.set(gHelp, "U1", "U3")
	src.hold(gAppr) // never released
	clk.add(6 * time.Minute)
	if got := in(g, "U3"); !slices.Equal(got, []string{gHelp}) {
		t.Fatalf("groups %q while another group hangs", got)
	}
	if got := in(g, "U2"); !slices.Equal(got, []string{gAppr}) {
		t.Fatalf("the hanging group lost its last good members at once: %q", got)
	}
	if n := src.count(gAppr); n != 2 {
		t.Fatalf("%d lookups of the hanging group, want 2 (warm-up, then one retry in 30 s)", n)
	}
}

// A group that falls due while a refresh of another runs is asked in a
// second refresh before the waiting caller is answered.
func TestGroupDueDuringARefreshIsAskedBeforeAnswering(t *testing.T) {
	g, src, clk := groupFixture(t)
	src.fail(gHelp, true)
	g.Warm(context.Background()) // approvers known; helpdesk failed
	src.fail(gHelp, false)
	held := src.hold(gHelp)
	clk.add(retryGroupsAfter) // only the helpdesk group is due
	got := make(chan []string, 1)
	go func() { got <- in(g, "U2") }()
	arrived(t, held)         // the caller waits for the helpdesk refresh
	src.set(gAppr)           // the approver is removed…
	clk.add(DefaultGroupTTL) // …and the approvers fall due meanwhile
	held.release <- nil
	if g := <-got; len(g) != 0 || src.count(gAppr) != 2 {
		t.Fatalf("groups %q after %d lookups: the group due mid-refresh was answered from its old members", g, src.count(gAppr))
	}
}
