package slack

import (
	"context"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// groupCache knows which of the configured Slack user groups each user is
// in, so roles granted to a group follow its membership.
//
// Each group is its own entry with its own last success: one group that
// Slack fails or answers slowly neither holds back nor spoils the others.
// A group is asked again once its answer is older than ttl; all groups due
// are asked in parallel, each with its own timeout, one refresh at a time
// (callers arriving meanwhile wait for it, or take the last good answer
// when they cannot wait). A group whose refresh fails is asked again after
// 30 s, not on every request, and keeps its last good members only until
// maxStale after its last success: someone removed from an approver group
// must not keep approving for as long as Slack is down. Past that, and
// before any success, the group grants nothing (roles fail closed).
type groupCache struct {
	api      *webAPI
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
	// retryGroupsAfter is how soon a failed group is asked again.
	retryGroupsAfter = 30 * time.Second
	// DefaultGroupMaxStale is how long a failing group keeps its last good
	// members.
	DefaultGroupMaxStale = 15 * time.Minute
	defaultGroupTTL      = 5 * time.Minute
	groupTimeout         = time.Second
)

func newGroupCache(api *webAPI, ids []string, ttl, maxStale time.Duration, now func() time.Time, log zerolog.Logger) *groupCache {
	if ttl <= 0 {
		ttl = defaultGroupTTL
	}
	if maxStale <= 0 {
		maxStale = DefaultGroupMaxStale
	}
	// A success must be renewed before it expires, or roles would lapse
	// while Slack is answering.
	ttl = min(ttl, maxStale)
	return &groupCache{api: api, ids: slices.Clone(ids), ttl: ttl, maxStale: maxStale, timeout: groupTimeout,
		now: now, log: log, entries: map[string]groupEntry{}}
}

// due reports whether group e should be asked again at now.
func (g *groupCache) due(e groupEntry, known bool, now time.Time) bool {
	switch {
	case !known:
		return true
	case e.failed:
		return now.Sub(e.triedAt) >= retryGroupsAfter
	default:
		return now.Sub(e.okAt) > g.ttl
	}
}

// groupsOf returns the configured groups userID belongs to, as far as
// each group's last good answer is recent enough to trust.
func (g *groupCache) groupsOf(ctx context.Context, userID string) []string {
	if len(g.ids) == 0 {
		return nil
	}
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

// startRefresh starts asking Slack about every group that is due, unless a
// refresh is already running, and returns a channel closed when the
// running refresh ends; nil when nothing is due.
func (g *groupCache) startRefresh() <-chan struct{} {
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

// refreshOne asks Slack about one group and records the outcome at once,
// so a slow group does not hold back the others' answers. It runs detached
// from any request: a caller that gave up must not cancel it for the rest.
func (g *groupCache) refreshOne(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
	defer cancel()
	var out struct {
		Users []string `json:"users"`
	}
	err := g.api.callForm(ctx, "usergroups.users.list", url.Values{"usergroup": {id}}, &out)
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.entries[id]
	e.triedAt = now
	if err != nil {
		e.failed = true
		g.entries[id] = e
		ev := g.log.Warn().Err(err).Str("usergroup", id).Str("event", "slack.usergroup_failed").Dur("retry_in", retryGroupsAfter)
		if e.okAt.IsZero() || now.Sub(e.okAt) > g.maxStale {
			ev.Msg("could not list user group members; its members get no role from it until Slack answers")
		} else {
			ev.Time("kept_until", e.okAt.Add(g.maxStale)).Msg("could not list user group members; keeping the last known members for now")
		}
		return
	}
	members := make(map[string]bool, len(out.Users))
	for _, u := range out.Users {
		members[u] = true
	}
	g.entries[id] = groupEntry{members: members, okAt: now, triedAt: now}
}

// Warm fetches group membership now (call at startup so the first command
// does not wait for it).
func (a *Adapter) Warm(ctx context.Context) {
	if done := a.groups.startRefresh(); done != nil {
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
}
