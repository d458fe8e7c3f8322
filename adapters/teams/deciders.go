package teams

import (
	"sync"
	"time"
)

// deciderCache remembers, per request, the Bot Framework ids of the
// people who may act on it. Every change of an approval card makes Teams
// send each of them a refresh, and each refresh would otherwise read the
// request and every person's reference from the store again. Who may act
// on a request does not change while it lives (the org's config is read
// at start), and a person's id never does; the cache only saves reads.
type deciderCache struct {
	mu sync.Mutex
	m  map[string]deciderEntry
}

type deciderEntry struct {
	mris []string
	at   time.Time
}

const (
	deciderTTL = time.Minute
	maxDecided = 4096 // requests remembered; beyond, the cache starts over
)

func (c *deciderCache) get(id string, now time.Time) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || now.Sub(e.at) > deciderTTL {
		return nil, false
	}
	return e.mris, true
}

func (c *deciderCache) put(id string, mris []string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxDecided {
		c.m = map[string]deciderEntry{}
	}
	c.m[id] = deciderEntry{mris: mris, at: now}
}
