package slack

import (
	"context"
	"net/url"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// nameCache turns Slack user ids into the names people know each other by
// (profile display name, else real name), so an approver reads "Dana Reyes
// asks…" rather than a login handle. Looked up with users.info, cached for
// an hour; when Slack does not answer, the handle from the payload is used
// and asked again after a minute. Names are labels only: every role check
// uses the user id.
type nameCache struct {
	api *webAPI
	now func() time.Time
	log zerolog.Logger
	mu  sync.Mutex
	m   map[string]nameEntry
}

type nameEntry struct {
	name string // "" = unknown, use the payload's handle
	at   time.Time
	ok   bool
}

const (
	nameTTL      = time.Hour
	nameRetryTTL = time.Minute
	nameTimeout  = time.Second
)

func newNameCache(api *webAPI, now func() time.Time, log zerolog.Logger) *nameCache {
	return &nameCache{api: api, now: now, log: log, m: map[string]nameEntry{}}
}

// nameOf returns the person's name, or fallback.
func (c *nameCache) nameOf(ctx context.Context, userID, fallback string) string {
	c.mu.Lock()
	e, found := c.m[userID]
	c.mu.Unlock()
	age := c.now().Sub(e.at)
	if found && ((e.ok && age < nameTTL) || (!e.ok && age < nameRetryTTL)) {
		return or(e.name, fallback)
	}
	ctx, cancel := context.WithTimeout(ctx, nameTimeout)
	defer cancel()
	var out struct {
		User struct {
			RealName string `json:"real_name"`
			Profile  struct {
				DisplayName string `json:"display_name"`
				RealName    string `json:"real_name"`
			} `json:"profile"`
		} `json:"user"`
	}
	err := c.api.callForm(ctx, "users.info", url.Values{"user": {userID}}, &out)
	e = nameEntry{at: c.now(), ok: err == nil}
	if err != nil {
		c.log.Info().Err(err).Str("user", userID).Msg("users.info failed; naming the person by handle")
	} else {
		e.name = or(out.User.Profile.DisplayName, or(out.User.Profile.RealName, out.User.RealName))
	}
	c.mu.Lock()
	c.m[userID] = e
	c.mu.Unlock()
	return or(e.name, fallback)
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
