package main

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/bot/store/redisstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

// TestTypeaheadLeaseOnTheStore: one owner holds an org's refresher lease
// and renews it; another gets it only after it expires; the log record is
// written only over the version read (memory store and real Redis).
func TestTypeaheadLeaseOnTheStore(t *testing.T) {
	for name, mk := range map[string]func(t *testing.T) store.Store{
		"memstore": func(*testing.T) store.Store { return memstore.New() },
		"redis": func(t *testing.T) store.Store {
			rs, err := redisstore.New(redisstore.Options{URL: storetest.RedisURL(t), Prefix: "unlockbot-test:" + rand.Text()[:10] + ":"})
			if err != nil {
				t.Fatal(err)
			}
			return rs
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := mk(t)
			t.Cleanup(func() { s.Close() })
			sh, ctx := storeShared{s}, context.Background()
			const ttl = 300 * time.Millisecond
			for _, c := range []struct {
				owner string
				want  bool
			}{{"a", true}, {"b", false}, {"a", true}} {
				if got, err := sh.Lease(ctx, "typeahead:o:lease", c.owner, ttl); err != nil || got != c.want {
					t.Fatalf("lease for %s: %v %v, want %v", c.owner, got, err, c.want)
				}
			}
			time.Sleep(ttl + 100*time.Millisecond)
			if got, err := sh.Lease(ctx, "typeahead:o:lease", "b", ttl); err != nil || !got {
				t.Fatalf("b after a's lease expired: %v %v", got, err)
			}

			if ok, err := sh.Put(ctx, "typeahead:o:log", 0, []byte("one"), time.Minute); err != nil || !ok {
				t.Fatalf("first log write: %v %v", ok, err)
			}
			v, ver, err := sh.Get(ctx, "typeahead:o:log")
			if err != nil || string(v) != "one" || ver == 0 {
				t.Fatalf("get: %q %d %v", v, ver, err)
			}
			if ok, _ := sh.Put(ctx, "typeahead:o:log", 0, []byte("again"), time.Minute); ok {
				t.Fatal("a second first write succeeded")
			}
			if ok, err := sh.Put(ctx, "typeahead:o:log", ver, []byte("two"), time.Minute); err != nil || !ok {
				t.Fatalf("write over the version read: %v %v", ok, err)
			}
			if ok, _ := sh.Put(ctx, "typeahead:o:log", ver, []byte("stale"), time.Minute); ok {
				t.Fatal("a write over a stale version succeeded")
			}
			if _, ver, _ := sh.Get(ctx, "typeahead:absent"); ver != 0 {
				t.Fatal("an absent key has a version")
			}
		})
	}
}
