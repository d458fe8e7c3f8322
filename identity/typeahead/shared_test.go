package typeahead

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// memShared is Shared in memory with expiry on the test clock, behaving
// as cmd/unlockbot's adapter over the store does.
type memShared struct {
	mu   sync.Mutex
	clk  *clock
	vals map[string]sharedVal
}

type sharedVal struct {
	v       []byte
	ver     int64
	expires time.Time
}

func (m *memShared) live(key string) (sharedVal, bool) {
	v, ok := m.vals[key]
	if ok && !m.clk.now().Before(v.expires) {
		delete(m.vals, key)
		return sharedVal{}, false
	}
	return v, ok
}

func (m *memShared) Lease(_ context.Context, key, owner string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.live(key); ok && string(v.v) != owner {
		return false, nil
	}
	m.vals[key] = sharedVal{v: []byte(owner), ver: 1, expires: m.clk.now().Add(ttl)}
	return true, nil
}

func (m *memShared) Get(_ context.Context, key string) ([]byte, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, _ := m.live(key)
	return v.v, v.ver, nil
}

func (m *memShared) Put(_ context.Context, key string, ver int64, value []byte, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, _ := m.live(key); v.ver != ver {
		return false, nil
	}
	m.vals[key] = sharedVal{v: value, ver: ver + 1, expires: m.clk.now().Add(ttl)}
	return true, nil
}

// TestOneRefresherPerOrg: two replicas on one shared store; only the lease
// holder reads the directory after both loaded, the other applies the
// published batches (changes and, after a full read, deletions), and when
// the holder stops the other takes over once the lease expires.
func TestOneRefresherPerOrg(t *testing.T) {
	dir := newChangeDir(500)
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	sh := &memShared{clk: clk, vals: map[string]sharedVal{}}
	opt := Options{Every: time.Minute, FullEvery: time.Hour, Shared: sh, Key: "org1"}
	a := wrapChanges(t, dir, clk, withOwner(opt, "a"))
	b := wrapChanges(t, dir, clk, withOwner(opt, "b"))
	ctx := context.Background()
	// a loads, takes the lease and publishes batch 1; b loads after it,
	// so its full read is aligned with the log (one that loaded before the
	// log existed catches up with one delta read of its own).
	for _, d := range []*Directory{a, a, b} {
		if err := d.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	loaded, _, _ := dir.counts()

	for i := range 10 {
		dir.put(acct(i, i == 4))
		if i == 9 {
			dir.del(acct(400, false).ID)
		}
		clk.add(time.Minute)
		for _, d := range []*Directory{a, b} {
			if err := d.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if reads, _, _ := dir.counts(); reads != loaded+10 {
		t.Fatalf("%d directory reads in 10 intervals with two replicas, want 10 (the holder's)", reads-loaded)
	}
	for _, d := range []*Directory{a, b} {
		if got, _ := d.Search(ctx, "", 10); !slices.Equal(names(got), []string{"user00004"}) {
			t.Fatalf("replica %s: locked %v", d.opt.Owner, names(got))
		}
	}
	// The full read is the holder's too, and b drops the deleted account from its batch.
	clk.add(time.Hour)
	_ = a.Refresh(ctx)
	_ = b.Refresh(ctx)
	if _, full, _ := dir.counts(); full != 3 { // two loads, one periodic full read
		t.Fatalf("%d full reads, want 3", full)
	}
	if got, _ := b.Search(ctx, "user00400", 5); len(got) != 0 {
		t.Fatalf("follower kept a deleted account: %v", names(got))
	}
	if !slices.EqualFunc(a.accounts(), b.accounts(), same) {
		t.Fatal("the replicas' snapshots differ")
	}

	// a stops (crash, or the org went idle there): b waits for the lease
	// to expire, then refreshes by itself.
	dir.put(acct(1, true))
	before, _, _ := dir.counts()
	clk.add(time.Minute)
	_ = b.Refresh(ctx)
	if reads, _, _ := dir.counts(); reads != before {
		t.Fatal("b read the directory while a's lease was valid")
	}
	clk.add(2 * time.Minute)
	_ = b.Refresh(ctx)
	if reads, _, _ := dir.counts(); reads != before+1 {
		t.Fatalf("b did not take over: %d reads", reads-before)
	}
	if got, _ := b.Search(ctx, "", 10); !slices.Equal(names(got), []string{"user00001", "user00004"}) {
		t.Fatalf("after the takeover: locked %v", names(got))
	}
}

// TestFollowerFarBehindReadsItsOwnDelta: a replica that missed more
// batches than the log keeps does not take a full read for it, only a
// delta from its own cursor.
func TestFollowerFarBehindReadsItsOwnDelta(t *testing.T) {
	dir := newChangeDir(100)
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	sh := &memShared{clk: clk, vals: map[string]sharedVal{}}
	opt := Options{Every: time.Minute, FullEvery: 24 * time.Hour, Shared: sh, Key: "org1"}
	a, b := wrapChanges(t, dir, clk, withOwner(opt, "a")), wrapChanges(t, dir, clk, withOwner(opt, "b"))
	ctx := context.Background()
	_ = a.Refresh(ctx)
	_ = b.Refresh(ctx)
	for i := range keepBatches + 5 {
		dir.put(acct(i%100, i == 7))
		clk.add(time.Minute)
		_ = a.Refresh(ctx)
	}
	_, full, _ := dir.counts()
	_ = b.Refresh(ctx)
	if _, f, _ := dir.counts(); f != full {
		t.Fatal("a follower behind the log read the whole directory")
	}
	if !slices.EqualFunc(a.accounts(), b.accounts(), same) {
		t.Fatal("the follower did not catch up")
	}
}

func withOwner(o Options, owner string) Options { o.Owner = owner; return o }
