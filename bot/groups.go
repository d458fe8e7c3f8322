package bot

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// GroupSource lists the members of one group on a chat platform (Slack
// user groups, Teams/Entra groups): the only part of group roles that is
// the platform's.
type GroupSource interface {
	// Members returns the user ids in groupID. It is called with its own
	// short deadline, detached from any one request.
	Members(ctx context.Context, groupID string) ([]string, error)
}

// GroupCache knows which of the configured groups each user is in, so
// roles granted to a group follow its membership, whatever the platform.
//
// Each group is its own entry with its own last success: one group that
// the platform fails or answers slowly neither holds back nor spoils the
// others. A group is asked again once its answer is older than ttl; all
// groups due are asked in parallel, each with its own timeout, one refresh
// at a time (callers arriving meanwhile wait for it, or take the last good
// answer when they cannot wait). A group whose refresh fails is asked
// again after 30 s, not on every request, and keeps its last good members
// only until maxStale after its last success: someone removed from an
// approver group must not keep approving for as long as the platform is
// down. Past that, and before any success, the group grants nothing
// (roles fail closed).
type GroupCache struct {
	src      GroupSource
	ids      []string
	ttl      time.Duration
	maxStale time.Duration
	timeout  time.Duration // per group and call
	now      func() time.Time
	log      zerolog.Logger

	mu       sync.Mutex
	entries  map[string]groupEntry
	inflight chan struct{} // closed when the running refresh ends; nil when none
}

// groupEntry is what is known of one group.
type groupEntry struct {
	members map[string]bool
	okAt    time.Time // last success; zero: never
	triedAt time.Time // last attempt
	failed  bool      // the last attempt failed
}

const (
	// DefaultGroupTTL is how long a group's members are trusted before
	// they are asked again.
	DefaultGroupTTL = 5 * time.Minute
	// DefaultGroupMaxStale is how long a failing group keeps its last good
	// members.
	DefaultGroupMaxStale = 15 * time.Minute
	// retryGroupsAfter is how soon a failed group is asked again.
	retryGroupsAfter = 30 * time.Second
	groupTimeout     = time.Second
)

// NewGroupCache caches the members of groups as src lists them. A ttl or
// maxStale of zero takes the default; now is the clock (time.Now when nil).
func NewGroupCache(src GroupSource, groups []string, ttl, maxStale time.Duration, now func() time.Time, log zerolog.Logger) *GroupCache {
	if ttl <= 0 {
		ttl = DefaultGroupTTL
	}
	if maxStale <= 0 {
		maxStale = DefaultGroupMaxStale
	}
	if now == nil {
		now = time.Now
	}
	// A success must be renewed before it expires, or roles would lapse
	// while the platform is answering.
	ttl = min(ttl, maxStale)
	return &GroupCache{src: src, ids: slices.Clone(groups), ttl: ttl, maxStale: maxStale, timeout: groupTimeout,
		now: now, log: log, entries: map[string]groupEntry{}}
}

// due reports whether group e should be asked again at now.
func (g *GroupCache) due(e groupEntry, known bool, now time.Time) bool {
	switch {
	case !known:
		return true
	case e.failed:
		return now.Sub(e.triedAt) >= retryGroupsAfter
	default:
		return now.Sub(e.okAt) > g.ttl
	}
}

// GroupsOf returns the configured groups userID belongs to, as far as
// each group's last good answer is recent enough to trust.
func (g *GroupCache) GroupsOf(ctx context.Context, userID string) []string {
	// Twice at most: a group that fell due while another refresh ran is
	// asked in a second one.
	for range 2 {
		done := g.startRefresh()
		if done == nil {
			break
		}
		select {
		case <-done:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, id := range g.ids {
		e := g.entries[id]
		if !e.okAt.IsZero() && now.Sub(e.okAt) <= g.maxStale && e.members[userID] {
			out = append(out, id)
		}
	}
	return out
}

// Warm asks about every group that is due now and waits for the answers or
// for ctx (call at startup, so the first command does not wait for them).
func (g *GroupCache) Warm(ctx context.Context) {
	if done := g.startRefresh(); done != nil {
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
}

// startRefresh starts asking about every group that is due, unless a
// refresh is already running, and returns a channel closed when the
// running refresh ends; nil when nothing is due.
func (g *GroupCache) startRefresh() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inflight != nil {
		return g.inflight
	}
	now := g.now()
	var due []string
	for _, id := range g.ids {
		if e, known := g.entries[id]; g.due(e, known, now) {
			due = append(due, id)
		}
	}
	if len(due) == 0 {
		return nil
	}
	done := make(chan struct{})
	g.inflight = done
	go func() {
		var wg sync.WaitGroup
		for _, id := range due {
			wg.Add(1)
			go func() { defer wg.Done(); g.refreshOne(id) }()
		}
		wg.Wait()
		g.mu.Lock()
		g.inflight = nil
		g.mu.Unlock()
		close(done)
	}()
	return done
}

// refreshOne asks about one group and records the outcome at once, so a
// slow group does not hold back the others' answers. It runs detached from
// any request: a caller that gave up must not cancel it for the rest.
func (g *GroupCache) refreshOne(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
	defer cancel()
	users, err := g.src.Members(ctx, id)
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.entries[id]
	e.triedAt = now
	if err != nil {
		e.failed = true
		g.entries[id] = e
		ev := g.log.Warn().Err(err).Str("group", id).Str("event", "group.list_failed").Dur("retry_in", retryGroupsAfter)
		if e.okAt.IsZero() || now.Sub(e.okAt) > g.maxStale {
			ev.Msg("could not list group members; its members get no role from it until the platform answers")
		} else {
			ev.Time("kept_until", e.okAt.Add(g.maxStale)).Msg("could not list group members; keeping the last known members for now")
		}
		return
	}
	members := make(map[string]bool, len(users))
	for _, u := range users {
		members[u] = true
	}
	g.entries[id] = groupEntry{members: members, okAt: now, triedAt: now}
}
