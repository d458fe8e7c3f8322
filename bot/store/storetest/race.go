package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// The concurrency half of the contract: what two replicas clicking at once rely on.

// testCASRace: everyone holds version 1; exactly one swap may land.
func testCASRace(t *testing.T, s store.Store) {
	mustCreate(t, s, "k", []byte("start"), 0)
	var wins atomic.Int32
	var winner atomic.Value
	parallel(20, func(i int) {
		v := "g" + strconv.Itoa(i)
		_, err := s.CompareAndSwap(t.Context(), "k", 1, []byte(v), 0)
		switch {
		case err == nil:
			wins.Add(1)
			winner.Store(v)
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("goroutine %d: CAS err = %v, want nil or ErrConflict", i, err)
		}
	})
	if wins.Load() != 1 {
		t.Fatalf("%d swaps from version 1 succeeded, want exactly 1", wins.Load())
	}
	mustGet(t, s, "k", 2, winner.Load().(string))
}

// testCounter: read-modify-write loops lose no update.
func testCounter(t *testing.T, s store.Store) {
	const workers, each = 50, 4
	mustCreate(t, s, "n", []byte("0"), 0)
	parallel(workers, func(int) {
		for range each {
			if err := Increment(t.Context(), s, "n"); err != nil {
				t.Error(err)
				return
			}
		}
	})
	mustGet(t, s, "n", workers*each+1, strconv.Itoa(workers*each))
}

// Increment adds one to the decimal counter at key, retrying on conflict:
// the read-modify-write loop every state transition follows.
func Increment(ctx context.Context, s store.Store, key string) error {
	for {
		rec, err := s.Get(ctx, key)
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(string(rec.Value))
		if err != nil {
			return fmt.Errorf("counter %q: %w", key, err)
		}
		_, err = s.CompareAndSwap(ctx, key, rec.Version, []byte(strconv.Itoa(n+1)), 0)
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
}

func testMarkRace(t *testing.T, s store.Store) {
	var firsts atomic.Int32
	parallel(20, func(int) {
		ok, err := s.Mark(t.Context(), "once", time.Hour)
		if err != nil {
			t.Error(err)
		}
		if ok {
			firsts.Add(1)
		}
	})
	if firsts.Load() != 1 {
		t.Fatalf("Mark returned true %d times, want 1", firsts.Load())
	}
}

func testReserveRace(t *testing.T, s store.Store) {
	now := time.Now()
	var in atomic.Int32
	parallel(30, func(i int) {
		ok, _, err := s.Reserve(t.Context(), "rl", "m"+strconv.Itoa(i), now, time.Hour, 10)
		if err != nil {
			t.Error(err)
		}
		if ok {
			in.Add(1)
		}
	})
	if in.Load() != 10 {
		t.Fatalf("%d reservations succeeded, want the limit 10", in.Load())
	}
}

// parallel runs fn in n goroutines released together, and waits.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() { <-start; fn(i) })
	}
	close(start)
	wg.Wait()
}
