package redisstore_test

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/bot/store/redisstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

// TestContract runs the contract on one server, the cluster and Sentinel.
func TestContract(t *testing.T) {
	for _, tc := range topologies {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store { return tc.open(t) })
		})
	}
}

// TestTwoClientsCAS stands in for two replicas: separate clients and
// connection pools, one record. In every round all goroutines swap from the
// same version; exactly one may win it.
func TestTwoClientsCAS(t *testing.T) {
	a := storetest.NewRedisStore(t)
	testTwoClientsCAS(t, a, redisstore.Options{URL: storetest.RedisURL(t)})
}

// testTwoClientsCAS dials a second store like a (opts, a's prefix).
func testTwoClientsCAS(t *testing.T, a *redisstore.Store, opts redisstore.Options) {
	ctx := t.Context()
	opts.Prefix = a.Prefix()
	b, err := redisstore.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	replicas := []store.Store{a, b}

	if _, err := a.Create(ctx, "req", []byte("0"), 0); err != nil {
		t.Fatal(err)
	}
	const rounds, perReplica = 25, 8
	for v := int64(1); v <= rounds; v++ {
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 * perReplica {
			wg.Go(func() {
				<-start
				val := []byte(strconv.FormatInt(v, 10) + "/" + strconv.Itoa(i))
				_, err := replicas[i%2].CompareAndSwap(ctx, "req", v, val, 0)
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, store.ErrConflict):
					t.Errorf("round %d, goroutine %d: %v", v, i, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("round %d: %d swaps from version %d succeeded, want exactly 1", v, wins.Load(), v)
		}
	}
	// Both replicas see the same final record.
	for i, r := range replicas {
		rec, err := r.Get(ctx, "req")
		if err != nil || rec.Version != rounds+1 || !strings.HasPrefix(string(rec.Value), strconv.Itoa(rounds)+"/") {
			t.Fatalf("replica %d: Get = %+v, %v; want version %d", i, rec, err, rounds+1)
		}
	}

	// And free-running increments across both lose nothing.
	if _, err := a.Create(ctx, "n", []byte("0"), 0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			for range 5 {
				if err := storetest.Increment(ctx, replicas[i%2], "n"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if rec, err := b.Get(ctx, "n"); err != nil || string(rec.Value) != "100" || rec.Version != 101 {
		t.Fatalf("counter = %+v, %v; want value 100 at version 101", rec, err)
	}
}

func TestNewOptions(t *testing.T) {
	if _, err := redisstore.New(redisstore.Options{}); err == nil {
		t.Fatal("New without URL or Client: want an error")
	}
	_, err := redisstore.New(redisstore.Options{URL: "redis://user:s3cret@host:6379/0\x7f"})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("New with a bad URL: err = %v; want an error that hides the password", err)
	}
	s, err := redisstore.New(redisstore.Options{URL: "redis://127.0.0.1:1/0"})
	if err != nil || s.Prefix() != redisstore.DefaultPrefix {
		t.Fatalf("New = %v, %v; want prefix %q", s, err, redisstore.DefaultPrefix)
	}
	s.Close()
}

func BenchmarkTransitionRound(b *testing.B) {
	b.Run("redis", func(b *testing.B) { storetest.BenchTransitionRound(b, storetest.NewRedisStore(b)) })
	b.Run("memstore", func(b *testing.B) { storetest.BenchTransitionRound(b, memstore.New()) })
}
