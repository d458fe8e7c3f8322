package teams

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// refs are the conversation references the bot needs to reach people
// later, kept in the store so a restart or another replica can still
// reach them: per user (by Entra object id) their Bot Framework id, the
// service URL their activities came from and their personal chat; per
// tenant the service URL last seen. Approval cards carry their own
// reference in the request (bot.MessageRef).
type refs struct {
	st       store.Store
	tenant   string
	fallback string // DefaultServiceURL
	allow    func(string) bool
	now      func() time.Time

	mu      sync.Mutex
	written map[string]userRef // what this process last wrote, to skip identical writes
	lastSvc string             // the service URL this process last recorded
}

// userRef is one user's stored reference.
type userRef struct {
	MRI        string `json:"mri,omitempty"` // "29:…"
	ServiceURL string `json:"service_url,omitempty"`
	Personal   string `json:"personal,omitempty"` // their 1:1 conversation with the bot ("a:…")
}

// refTTL keeps a reference for people who use the bot now and then; each
// activity renews it.
const refTTL = 180 * 24 * time.Hour

// maxWritten bounds the in-process memo of written references.
const maxWritten = 10000

func newRefs(st store.Store, tenant, fallback string, allow func(string) bool, now func() time.Time) *refs {
	return &refs{st: st, tenant: tenant, fallback: fallback, allow: allow, now: now, written: map[string]userRef{}}
}

func (r *refs) userKey(objectID string) string { return "teams:user:" + r.tenant + ":" + objectID }
func (r *refs) svcKey() string                 { return "teams:service_url:" + r.tenant }

// user returns what is known of a user; ok is false for someone the bot
// has not heard from.
func (r *refs) user(ctx context.Context, objectID string) (userRef, bool) {
	rec, err := r.st.Get(ctx, r.userKey(objectID))
	if err != nil {
		return userRef{}, false
	}
	var u userRef
	if json.Unmarshal(rec.Value, &u) != nil {
		return userRef{}, false
	}
	if u.ServiceURL != "" && !r.allow(u.ServiceURL) {
		u.ServiceURL = "" // a record pointing elsewhere is ignored, not trusted
	}
	return u, true
}

// saw records what a verified activity says about its sender: merged with
// what is stored (a channel message does not know the personal chat).
func (r *refs) saw(ctx context.Context, objectID string, u userRef) error {
	if objectID == "" {
		return nil
	}
	r.mu.Lock()
	last, ok := r.written[objectID]
	r.mu.Unlock()
	if ok && merge(last, u) == last {
		return nil
	}
	key := r.userKey(objectID)
	var merged userRef
	for range 3 { // another replica may write the same user at once
		rec, err := r.st.Get(ctx, key)
		switch {
		case errors.Is(err, store.ErrNotFound):
			merged = u
			b, _ := json.Marshal(merged)
			_, err = r.st.Create(ctx, key, b, refTTL)
		case err == nil:
			var old userRef
			_ = json.Unmarshal(rec.Value, &old)
			merged = merge(old, u)
			b, _ := json.Marshal(merged)
			_, err = r.st.CompareAndSwap(ctx, key, rec.Version, b, refTTL)
		}
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		r.remember(objectID, merged)
		return nil
	}
	return store.ErrConflict
}

func (r *refs) remember(objectID string, u userRef) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.written) >= maxWritten {
		clear(r.written) // a memo only: the store holds the truth
	}
	r.written[objectID] = u
}

// merge overlays the non-empty fields of next on old.
func merge(old, next userRef) userRef {
	if next.MRI != "" {
		old.MRI = next.MRI
	}
	if next.ServiceURL != "" {
		old.ServiceURL = next.ServiceURL
	}
	if next.Personal != "" {
		old.Personal = next.Personal
	}
	return old
}

// sawService records the service URL of a verified activity as the
// tenant's: where to reach a conversation the bot has not heard from.
func (r *refs) sawService(ctx context.Context, serviceURL string) error {
	r.mu.Lock()
	same := r.lastSvc == serviceURL
	r.mu.Unlock()
	if same || !r.allow(serviceURL) {
		return nil
	}
	key := r.svcKey()
	rec, err := r.st.Get(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		_, err = r.st.Create(ctx, key, []byte(serviceURL), refTTL)
	case err == nil && string(rec.Value) != serviceURL:
		_, err = r.st.CompareAndSwap(ctx, key, rec.Version, []byte(serviceURL), refTTL)
	}
	if errors.Is(err, store.ErrConflict) {
		err = nil // another activity recorded one just now
	}
	if err == nil {
		r.mu.Lock()
		r.lastSvc = serviceURL
		r.mu.Unlock()
	}
	return err
}

// serviceURL is the tenant's service URL: the last one seen, or the
// default.
func (r *refs) serviceURL(ctx context.Context) string {
	if rec, err := r.st.Get(ctx, r.svcKey()); err == nil && r.allow(string(rec.Value)) {
		return string(rec.Value)
	}
	return r.fallback
}

// maxChannels bounds the tenant's remembered channels: a handful of orgs
// share a tenant, each with one approval channel.
const maxChannels = 32

func (r *refs) channelsKey() string { return "teams:channels:" + r.tenant }

// sawChannel records a channel the bot posts approvals in, newest first,
// so that FindByEmail can ask Teams who of the tenant is in it, from any
// replica and after a restart.
func (r *refs) sawChannel(ctx context.Context, channel string) error {
	if channel == "" {
		return nil
	}
	key := r.channelsKey()
	for range 3 {
		rec, err := r.st.Get(ctx, key)
		found := err == nil
		var list []string
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			_ = json.Unmarshal(rec.Value, &list)
			if len(list) > 0 && list[0] == channel {
				return nil // the common case: nothing to write
			}
		}
		next := []string{channel}
		for _, c := range list {
			if c != channel && len(next) < maxChannels {
				next = append(next, c)
			}
		}
		b, _ := json.Marshal(next)
		if !found {
			_, err = r.st.Create(ctx, key, b, refTTL)
		} else {
			_, err = r.st.CompareAndSwap(ctx, key, rec.Version, b, refTTL)
		}
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			continue
		}
		return err
	}
	return store.ErrConflict
}

// channels are the tenant's remembered channels, newest first.
func (r *refs) channels(ctx context.Context) []string {
	rec, err := r.st.Get(ctx, r.channelsKey())
	if err != nil {
		return nil
	}
	var list []string
	_ = json.Unmarshal(rec.Value, &list)
	return list
}
