package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// paceTests are the Pace part of the contract, run by Run.
var paceTests = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"PaceStrict", testPaceStrict},
	{"PaceBurst", testPaceBurst},
	{"PaceHold", testPaceHold},
	{"PaceExpires", testPaceExpires},
	{"PaceErrors", testPaceErrors},
	{"RacePace", testPaceRace},
}

func mustPace(t *testing.T, s store.Store, key string, now time.Time, p store.Pacing) time.Duration {
	t.Helper()
	w, err := s.Pace(t.Context(), key, now, p)
	if err != nil {
		t.Fatalf("Pace(%s): %v", key, err)
	}
	return w
}

// paceSteps checks a run of reservations on one key: at is the offset of
// each call from base, want the wait it gets.
func paceSteps(t *testing.T, s store.Store, key string, p store.Pacing, base time.Time, steps [][2]time.Duration) {
	t.Helper()
	for i, st := range steps {
		if got := mustPace(t, s, key, base.Add(st[0]), p); got != st[1] {
			t.Fatalf("%s step %d: Pace at +%v waits %v, want %v", key, i, st[0], got, st[1])
		}
	}
}

// testPaceStrict: one per interval, in the order asked; an idle line
// starts at once again, and lines are independent.
func testPaceStrict(t *testing.T, s store.Store) {
	base := time.Now().Truncate(time.Millisecond)
	p := store.Pacing{Interval: time.Second}
	ms := time.Millisecond
	paceSteps(t, s, "pace:C1", p, base, [][2]time.Duration{
		{0, 0}, {0, time.Second}, {0, 2 * time.Second},
		{500 * ms, 2500 * ms}, // the caller's now counts: 3 s after base is 2.5 s away
		{10 * time.Second, 0}, // idle: no debt carried over
		{10*time.Second + 250*ms, 750 * ms},
	})
	paceSteps(t, s, "pace:C2", p, base, [][2]time.Duration{{0, 0}, {0, time.Second}})
}

// testPaceBurst: Burst go at once, then one per interval; a quiet spell
// refills the burst only as time passes.
func testPaceBurst(t *testing.T, s store.Store) {
	base := time.Now().Truncate(time.Millisecond)
	p := store.Pacing{Interval: time.Second, Burst: 3}
	paceSteps(t, s, "pace:burst", p, base, [][2]time.Duration{
		{0, 0}, {0, 0}, {0, 0}, {0, time.Second}, {0, 2 * time.Second},
		{4 * time.Second, 0},                        // two slots refilled by now (+3 s used, +4 s now)
		{4 * time.Second, 0},                        // the second
		{4 * time.Second, time.Second},              // the third would be +5 s
		{20 * time.Second, 0},                       // a long quiet spell: the whole burst
		{20 * time.Second, 0},                       //
		{20 * time.Second, 0},                       //
		{20 * time.Second, time.Second},             //
		{20*time.Second + time.Second, time.Second}, // +22 s: strictly paced now
	})
}

// testPaceHold: a hold (Retry-After) delays the slot that asked for it and
// every later one, with no burst after it; other lines go on.
func testPaceHold(t *testing.T, s store.Store) {
	base := time.Now().Truncate(time.Millisecond)
	p := store.Pacing{Interval: time.Second, Burst: 3}
	mustPace(t, s, "pace:held", base, p)
	held := p
	held.NotBefore = base.Add(3 * time.Second)
	if w := mustPace(t, s, "pace:held", base, held); w != 3*time.Second {
		t.Fatalf("held Pace waits %v, want 3s (Retry-After)", w)
	}
	// Another replica, knowing nothing of the 429, still queues behind it.
	paceSteps(t, s, "pace:held", p, base, [][2]time.Duration{{0, 4 * time.Second}, {time.Second, 4 * time.Second}})
	if w := mustPace(t, s, "pace:free", base, p); w != 0 {
		t.Fatalf("an unrelated line waits %v, want 0", w)
	}
	// A hold already past changes nothing on an idle line but the burst.
	late := store.Pacing{Interval: time.Second, NotBefore: base.Add(-time.Hour)}
	if w := mustPace(t, s, "pace:late", base, late); w != 0 {
		t.Fatalf("a hold in the past waits %v, want 0", w)
	}
}

// testPaceExpires: an idle line's key goes away by itself.
func testPaceExpires(t *testing.T, s store.Store) {
	now := time.Now()
	mustPace(t, s, "pace:idle", now, store.Pacing{Interval: shortTTL / 4})
	if keys := mustList(t, s, "pace:idle"); len(keys) != 1 {
		t.Fatalf("List after Pace = %v, want the line's key", keys)
	}
	eventually(t, "the idle line's key to expire", func() bool { return len(mustList(t, s, "pace:idle")) == 0 })
}

func testPaceErrors(t *testing.T, s store.Store) {
	if _, err := s.Pace(t.Context(), "pace:bad", time.Now(), store.Pacing{}); err == nil {
		t.Fatal("Pace with a zero interval: want an error")
	}
	mustCreate(t, s, "pace:record", []byte("x"), time.Hour)
	if _, err := s.Pace(t.Context(), "pace:record", time.Now(), store.Pacing{Interval: time.Second}); err == nil {
		t.Fatal("Pace on a key holding a record: want an error")
	}
	mustGet(t, s, "pace:record", 1, "x")
}

// testPaceRace: callers racing on one line at the same instant each get
// a slot of their own, none shared, none skipped.
func testPaceRace(t *testing.T, s store.Store) {
	const n = 24
	now := time.Now()
	p := store.Pacing{Interval: 10 * time.Millisecond}
	var (
		mu    sync.Mutex
		waits []time.Duration
		wg    sync.WaitGroup
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			w, err := s.Pace(t.Context(), "pace:race", now, p)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			waits = append(waits, w)
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	slices.Sort(waits)
	for i, w := range waits {
		if want := time.Duration(i) * p.Interval; w != want {
			t.Fatalf("sorted waits %v: slot %d is %v, want %v", waits, i, w, want)
		}
	}
}
