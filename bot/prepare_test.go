package bot

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// barrier holds the store calls a try makes before its write (the daily
// limit, the sealed password, the unlock history) until all three have
// arrived: asked one after another, the first would wait out the timeout.
type barrier struct {
	store.Store
	mu      sync.Mutex
	arrived map[string]bool
	all     chan struct{}
	late    bool // a call gave up waiting
}

func (b *barrier) wait(what string) {
	b.mu.Lock()
	if b.all == nil {
		b.mu.Unlock()
		return
	}
	b.arrived[what] = true
	all := b.all
	if len(b.arrived) == 3 {
		close(all)
		b.all = nil
	}
	b.mu.Unlock()
	select {
	case <-all:
	case <-time.After(5 * time.Second):
		b.mu.Lock()
		b.late = true
		b.mu.Unlock()
	}
}

func (b *barrier) Reserve(ctx context.Context, key, member string, now time.Time, window time.Duration, limit int) (bool, int, error) {
	switch {
	case strings.HasPrefix(key, "limit:"):
		b.wait("limit")
	case strings.HasPrefix(key, "unlocks:") && limit == 0:
		b.wait("history")
	}
	return b.Store.Reserve(ctx, key, member, now, window, limit)
}

func (b *barrier) Create(ctx context.Context, key string, value []byte, ttl time.Duration) (store.Record, error) {
	if strings.HasPrefix(key, "pw:") {
		b.wait("password")
	}
	return b.Store.Create(ctx, key, value, ttl)
}

// TestATryAsksTheStoreItsThreeQuestionsAtOnce: the limit, the generated
// password and the replay check are one round trip's wait, not three.
func TestATryAsksTheStoreItsThreeQuestionsAtOnce(t *testing.T) {
	h := newHarness(t, nil)
	b := &barrier{Store: h.st, arrived: map[string]bool{}}
	svc := h.replica(b)
	r, err := submitOn(svc, "alice") // generated password
	if err != nil {
		t.Fatal(err)
	}
	b.all = make(chan struct{})
	if got, err := svc.Approve(context.Background(), r.ID, approver); err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	if b.late || b.all != nil {
		t.Fatalf("the three questions were not asked at once: arrived %v", b.arrived)
	}
}

// TestAReservationRefusedLeavesNoPassword: a password generated while the
// limit was asked is not kept for a request the limit stops.
func TestAReservationRefusedLeavesNoPassword(t *testing.T) {
	h := newHarness(t, nil)
	h.org.Policy.MaxResetsPerAccountPerDay = 1
	svc := h.replica(h.st)
	ctx := context.Background()
	r, err := submitOn(svc, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := h.st.Reserve(ctx, limitKey(h.org, "bob"), "an-earlier-reset", h.clock.now(), day, 1); !ok || err != nil {
		t.Fatalf("taking the day's one reset: %v", err)
	}
	got, err := svc.Approve(ctx, r.ID, approver)
	if err == nil || got.State != StateFailed || !strings.Contains(got.Failure, "limit") {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := h.st.Get(ctx, passwordKey(r.ID)); !errors.Is(err, store.ErrNotFound) || h.dir.Calls.SetPassword+h.dir.Calls.Unlock != 0 {
		t.Fatalf("after the refusal: password record %v, %d writes", err, h.dir.Calls.SetPassword+h.dir.Calls.Unlock)
	}
}
