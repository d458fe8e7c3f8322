// Package storetest is the contract every store.Store meets, run by each
// implementation's tests so the in-memory default and Redis cannot drift
// apart, plus helpers to reach the test Redis.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// shortTTL is long enough to read a key back before it expires on a loaded
// CI machine, short enough to keep the suite fast.
const shortTTL = time.Second

// Run runs the contract. newStore must return an empty store of its own
// (subtests run in parallel) and arrange its cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"CreateGet", testCreateGet},
		{"CreateTwice", testCreateTwice},
		{"CASBumpsVersion", testCASBumps},
		{"CASStale", testCASStale},
		{"CASMissing", testCASMissing},
		{"TTLExpiry", testTTL},
		{"CASTTL", testCASTTL},
		{"Delete", testDelete},
		{"Mark", testMark},
		{"Reserve", testReserve},
		{"ReserveCountOnly", testReserveCountOnly},
		{"Release", testRelease},
		{"List", testList},
		{"CanceledContext", testCanceled},
		{"RaceCASOneWinner", testCASRace},
		{"RaceCounter", testCounter},
		{"RaceMark", testMarkRace},
		{"RaceReserve", testReserveRace},
	}
	tests = append(tests, paceTests...)
	tests = append(tests, dueSetTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func testCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := []byte("a\x00b{}")
	rec := mustCreate(t, s, "req:1", in, 0)
	if rec.Key != "req:1" || rec.Version != 1 || !bytes.Equal(rec.Value, in) {
		t.Fatalf("Create = %+v, want key req:1 version 1 value %q", rec, in)
	}
	in[0] = 'X' // the store must have kept its own copy
	got := mustGet(t, s, "req:1", 1, "a\x00b{}")
	got.Value[1] = 'X' // and hand out copies
	mustGet(t, s, "req:1", 1, "a\x00b{}")

	mustCreate(t, s, "empty", []byte{}, 0)
	mustGet(t, s, "empty", 1, "")
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(missing) err = %v, want ErrNotFound", err)
	}
}

func testCreateTwice(t *testing.T, s store.Store) {
	mustCreate(t, s, "k", []byte("first"), 0)
	if _, err := s.Create(t.Context(), "k", []byte("second"), 0); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second Create err = %v, want ErrConflict", err)
	}
	mustGet(t, s, "k", 1, "first")
}

func testCASBumps(t *testing.T, s store.Store) {
	mustCreate(t, s, "k", []byte("v1"), 0)
	for v := int64(1); v < 4; v++ {
		want := "v" + strconv.FormatInt(v+1, 10)
		rec := mustCAS(t, s, "k", v, want, 0)
		if rec.Version != v+1 || string(rec.Value) != want {
			t.Fatalf("CAS from %d = %+v, want version %d value %q", v, rec, v+1, want)
		}
		mustGet(t, s, "k", v+1, want)
	}
}

func testCASStale(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreate(t, s, "k", []byte("v1"), 0)
	mustCAS(t, s, "k", 1, "v2", 0)
	for _, stale := range []int64{1, 0, 3, 99} {
		if _, err := s.CompareAndSwap(ctx, "k", stale, []byte("bad"), 0); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CAS with version %d err = %v, want ErrConflict", stale, err)
		}
	}
	mustGet(t, s, "k", 2, "v2")
}

func testCASMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := s.CompareAndSwap(ctx, "gone", 1, []byte("x"), 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CAS(missing) err = %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CAS(missing) created the key: Get err = %v", err)
	}
}

func testTTL(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreate(t, s, "ttl:a", []byte("x"), shortTTL)
	mustCreate(t, s, "keep:a", []byte("y"), 0)
	mustGet(t, s, "ttl:a", 1, "x")
	eventually(t, "record expires", func() bool {
		_, err := s.Get(ctx, "ttl:a")
		return errors.Is(err, store.ErrNotFound)
	})
	if _, err := s.CompareAndSwap(ctx, "ttl:a", 1, []byte("z"), 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CAS(expired) err = %v, want ErrNotFound", err)
	}
	if keys := mustList(t, s, ""); fmt.Sprint(keys) != "[keep:a]" {
		t.Fatalf("List after expiry = %q, want [keep:a]", keys)
	}
	mustCreate(t, s, "ttl:a", []byte("again"), 0)
	mustGet(t, s, "ttl:a", 1, "again")
}

func testCASTTL(t *testing.T, s store.Store) {
	ctx := t.Context()
	start := time.Now()
	mustCreate(t, s, "persist", []byte("1"), shortTTL)
	mustCreate(t, s, "expire", []byte("1"), 0)
	mustCAS(t, s, "persist", 1, "2", 0) // ttl 0 clears the expiry
	mustCAS(t, s, "expire", 1, "2", shortTTL)
	eventually(t, "CAS ttl applies", func() bool {
		_, err := s.Get(ctx, "expire")
		return errors.Is(err, store.ErrNotFound)
	})
	time.Sleep(time.Until(start.Add(3 * shortTTL)))
	mustGet(t, s, "persist", 2, "2")
}

func testDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreate(t, s, "k", []byte("x"), 0)
	for range 2 { // deleting a missing key is fine
		if err := s.Delete(ctx, "k"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after Delete err = %v, want ErrNotFound", err)
	}
	mustCreate(t, s, "k", []byte("new"), 0)
	mustGet(t, s, "k", 1, "new")
	mustMark(t, s, "m", time.Hour, true)
	if err := s.Delete(ctx, "m"); err != nil {
		t.Fatalf("Delete marker: %v", err)
	}
	mustMark(t, s, "m", time.Hour, true)
}

func testMark(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustMark(t, s, "seen:1", shortTTL, true)
	mustMark(t, s, "seen:1", shortTTL, false)
	mustMark(t, s, "seen:2", time.Hour, true)
	mustMark(t, s, "seen:forever", 0, true)
	eventually(t, "marker expires", func() bool {
		ok, err := s.Mark(ctx, "seen:1", shortTTL)
		if err != nil {
			t.Fatalf("Mark: %v", err)
		}
		return ok
	})
	mustMark(t, s, "seen:1", shortTTL, false)
	mustMark(t, s, "seen:2", time.Hour, false)
	mustMark(t, s, "seen:forever", 0, false)
}

func testReserve(t *testing.T, s store.Store) {
	base := time.Now().Truncate(time.Second)
	const w = time.Hour
	at := func(d time.Duration) time.Time { return base.Add(d) }
	steps := []struct {
		member string
		now    time.Time
		ok     bool
		n      int
	}{
		{"a", at(0), true, 1},
		{"b", at(time.Second), true, 2},
		{"a", at(2 * time.Second), true, 2}, // a retry counts once, keeps its first time
		{"c", at(2 * time.Second), true, 3},
		{"d", at(3 * time.Second), false, 3}, // full
		{"b", at(3 * time.Second), true, 3},  // known member passes even when full
		{"d", at(w), false, 3},               // a sits exactly on the edge: inside
		{"d", at(w + time.Microsecond), true, 3},
		{"a", at(w + time.Microsecond), false, 3}, // a left; b c d fill the window
		{"e", at(w + 2*time.Second), true, 3},     // b left
		{"d", at(2*w + 10*time.Second), true, 1},  // everyone older left
	}
	for i, st := range steps {
		ok, n := mustReserve(t, s, "rl:acct", st.member, st.now, w, 3)
		if ok != st.ok || n != st.n {
			t.Fatalf("step %d: Reserve(%s, +%v) = %v, %d; want %v, %d", i, st.member, st.now.Sub(base), ok, n, st.ok, st.n)
		}
	}
	if ok, n := mustReserve(t, s, "rl:other", "a", base, w, 3); !ok || n != 1 {
		t.Fatalf("Reserve on another key = %v, %d; want true, 1", ok, n)
	}
	if ok, n := mustReserve(t, s, "rl:zero", "a", base, w, 0); ok || n != 0 {
		t.Fatalf("Reserve with limit 0 = %v, %d; want false, 0", ok, n)
	}
	if _, _, err := s.Reserve(t.Context(), "rl:bad", "a", base, 0, 3); err == nil {
		t.Fatal("Reserve with zero window: want an error")
	}
}

// testRelease: a released member frees its place at once, others keep
// theirs, and releasing what is not there is quiet.
func testRelease(t *testing.T, s store.Store) {
	now := time.Now()
	const w = time.Hour
	for _, m := range []string{"a", "b"} {
		if ok, _ := mustReserve(t, s, "open:tech", m, now, w, 2); !ok {
			t.Fatalf("reserve %s refused", m)
		}
	}
	if ok, n := mustReserve(t, s, "open:tech", "c", now, w, 2); ok || n != 2 {
		t.Fatalf("a full window took c: %v, %d", ok, n)
	}
	if err := s.Release(t.Context(), "open:tech", "a"); err != nil {
		t.Fatal(err)
	}
	if ok, n := mustReserve(t, s, "open:tech", "c", now, w, 2); !ok || n != 2 {
		t.Fatalf("after releasing a, c = %v, %d; want true, 2", ok, n)
	}
	for _, k := range [][2]string{{"open:tech", "a"}, {"open:none", "x"}} {
		if err := s.Release(t.Context(), k[0], k[1]); err != nil {
			t.Fatalf("Release(%s, %s) of nothing: %v", k[0], k[1], err)
		}
	}
	for _, m := range []string{"b", "c"} {
		if err := s.Release(t.Context(), "open:tech", m); err != nil {
			t.Fatal(err)
		}
	}
	if _, n := mustReserve(t, s, "open:tech", "", now, w, 0); n != 0 {
		t.Fatalf("after releasing everyone the window counts %d", n)
	}
	if keys, _ := s.List(t.Context(), "open:tech"); len(keys) != 0 {
		t.Fatalf("an emptied window is still a key: %v", keys)
	}
}

func testList(t *testing.T, s store.Store) {
	for _, k := range []string{"org1:t2", "org1:t1", "org2:t1", "x*y", "xay", "org10:t"} {
		mustCreate(t, s, k, []byte("{}"), time.Hour)
	}
	mustMark(t, s, "org1:seen", time.Hour, true)
	mustReserve(t, s, "org1:rl", "m", time.Now(), time.Hour, 1)
	for prefix, want := range map[string]string{
		"org1:": "[org1:rl org1:seen org1:t1 org1:t2]",
		"org1":  "[org10:t org1:rl org1:seen org1:t1 org1:t2]",
		"org3:": "[]",
		"x*":    "[x*y]", // glob characters match themselves
		"":      "[org10:t org1:rl org1:seen org1:t1 org1:t2 org2:t1 x*y xay]",
	} {
		keys := mustList(t, s, prefix)
		slices.Sort(keys) // the contract promises no order
		if got := fmt.Sprint(keys); got != want {
			t.Errorf("List(%q) = %s, want %s", prefix, got, want)
		}
	}
}

func testCanceled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with canceled ctx err = %v, want context.Canceled", err)
	}
}

// eventually polls cond for up to 20 TTLs: expiry is lazy or sampled.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * shortTTL); !cond(); time.Sleep(shortTTL / 10) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
	}
}

func mustCreate(t *testing.T, s store.Store, key string, v []byte, ttl time.Duration) store.Record {
	t.Helper()
	rec, err := s.Create(t.Context(), key, v, ttl)
	if err != nil {
		t.Fatalf("Create(%q): %v", key, err)
	}
	return rec
}

func mustCAS(t *testing.T, s store.Store, key string, version int64, v string, ttl time.Duration) store.Record {
	t.Helper()
	rec, err := s.CompareAndSwap(t.Context(), key, version, []byte(v), ttl)
	if err != nil {
		t.Fatalf("CompareAndSwap(%q, %d): %v", key, version, err)
	}
	return rec
}

func mustGet(t *testing.T, s store.Store, key string, version int64, v string) store.Record {
	t.Helper()
	rec, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if rec.Key != key || rec.Version != version || string(rec.Value) != v {
		t.Fatalf("Get(%q) = {%q %d %q}, want {%q %d %q}", key, rec.Key, rec.Version, rec.Value, key, version, v)
	}
	return rec
}

func mustMark(t *testing.T, s store.Store, key string, ttl time.Duration, want bool) {
	t.Helper()
	if ok, err := s.Mark(t.Context(), key, ttl); err != nil || ok != want {
		t.Fatalf("Mark(%q) = %v, %v; want %v", key, ok, err, want)
	}
}

func mustReserve(t *testing.T, s store.Store, key, member string, now time.Time, w time.Duration, limit int) (bool, int) {
	t.Helper()
	ok, n, err := s.Reserve(t.Context(), key, member, now, w, limit)
	if err != nil {
		t.Fatalf("Reserve(%q, %q): %v", key, member, err)
	}
	return ok, n
}

func mustList(t *testing.T, s store.Store, prefix string) []string {
	t.Helper()
	keys, err := s.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys
}

// testReserveCountOnly: limit 0 counts the window without adding (the form
// checks the daily limit this way before anything is reserved).
func testReserveCountOnly(t *testing.T, s store.Store) {
	now := time.Unix(1_800_000_000, 0)
	mustReserve(t, s, "win:c", "a", now, time.Hour, 5)
	mustReserve(t, s, "win:c", "b", now, time.Hour, 5)
	for i := 0; i < 3; i++ {
		if ok, n := mustReserve(t, s, "win:c", "", now, time.Hour, 0); ok || n != 2 {
			t.Fatalf("count-only Reserve = %t, %d; want false, 2", ok, n)
		}
	}
	if ok, n := mustReserve(t, s, "win:empty", "", now, time.Hour, 0); ok || n != 0 {
		t.Fatalf("count-only on an empty window = %t, %d; want false, 0", ok, n)
	}
}
