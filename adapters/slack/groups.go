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
// in. It refreshes at most once per ttl, on demand; when Slack does not
// answer it keeps the last good answer, and with none it grants no group
// (roles fail closed).
type groupCache struct {
	api    *webAPI
	ids    []string
	ttl    time.Duration
	now    func() time.Time
	log    zerolog.Logger
	mu     sync.Mutex // serialises refreshes
	snap   *groupSnapshot
	snapMu sync.RWMutex
}

// retryGroupsAfter is how soon a failed refresh is tried again.
const retryGroupsAfter = 30 * time.Second

type groupSnapshot struct {
	at     time.Time
	byUser map[string][]string
}

func newGroupCache(api *webAPI, ids []string, ttl time.Duration, now func() time.Time, log zerolog.Logger) *groupCache {
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	return &groupCache{api: api, ids: slices.Clone(ids), ttl: ttl, now: now, log: log}
}

func (g *groupCache) current() *groupSnapshot {
	g.snapMu.RLock()
	defer g.snapMu.RUnlock()
	return g.snap
}

// groupsOf returns the configured groups userID belongs to.
func (g *groupCache) groupsOf(ctx context.Context, userID string) []string {
	if len(g.ids) == 0 {
		return nil
	}
	s := g.current()
	if s == nil || g.now().Sub(s.at) > g.ttl {
		s = g.refresh(ctx)
	}
	if s == nil {
		return nil
	}
	return s.byUser[userID]
}

// refresh fetches the members of every configured group. Concurrent callers
// wait for one refresh instead of each calling Slack.
func (g *groupCache) refresh(ctx context.Context) *groupSnapshot {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s := g.current(); s != nil && g.now().Sub(s.at) <= g.ttl {
		return s // someone else refreshed while we waited
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	by := map[string][]string{}
	for _, id := range g.ids {
		var out struct {
			Users []string `json:"users"`
		}
		if err := g.api.callForm(ctx, "usergroups.users.list", url.Values{"usergroup": {id}}, &out); err != nil {
			g.log.Warn().Err(err).Str("usergroup", id).Msg("could not list user group members; keeping the last known membership")
			keep := map[string][]string{} // nothing known: no groups, roles fail closed
			if old := g.current(); old != nil {
				keep = old.byUser
			}
			// Ask again in 30 s, not on every request.
			s := &groupSnapshot{at: g.now().Add(-g.ttl + retryGroupsAfter), byUser: keep}
			g.store(s)
			return s
		}
		for _, u := range out.Users {
			by[u] = append(by[u], id)
		}
	}
	s := &groupSnapshot{at: g.now(), byUser: by}
	g.store(s)
	return s
}

func (g *groupCache) store(s *groupSnapshot) {
	g.snapMu.Lock()
	g.snap = s
	g.snapMu.Unlock()
}

// Warm fetches group membership now (call at startup so the first command
// does not wait for it).
func (a *Adapter) Warm(ctx context.Context) {
	if len(a.groups.ids) > 0 {
		a.groups.refresh(ctx)
	}
}
