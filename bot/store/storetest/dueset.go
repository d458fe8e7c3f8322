package storetest

import (
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// The due-set half of the contract: what the sweeper relies on to read
// only the requests that are due and never drop a deadline set since.

var dueSetTests = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"DueOrderAndPages", testDueOrder},
	{"ScheduleMoves", testScheduleMoves},
	{"RescheduleCompares", testRescheduleCompares},
	{"UnscheduleCompares", testUnscheduleCompares},
	{"RaceReschedule", testRescheduleRace},
}

// dueT0 has a nanosecond part the stores must cut to the microsecond.
var dueT0 = time.Unix(1_800_000_000, 123_456_789)

func testDueOrder(t *testing.T, s store.Store) {
	if got := mustDue(t, s, "due", dueT0, 0, 10); len(got) != 0 {
		t.Fatalf("Due on a set that does not exist = %v", got)
	}
	at := func(d time.Duration) time.Time { return dueT0.Add(d) }
	mustSchedule(t, s, "due", "b", at(time.Second))
	mustSchedule(t, s, "due", "a", at(2*time.Second))
	mustSchedule(t, s, "due", "c", at(time.Second)) // tie with b: by member
	mustSchedule(t, s, "due", "late", at(time.Hour))
	mustSchedule(t, s, "other", "x", at(0))
	want := "b@1000000 c@1000000 a@2000000"
	if got := dueString(mustDue(t, s, "due", at(2*time.Second), 0, 10)); got != want {
		t.Fatalf("Due = %s, want %s (earliest first, µs after t0, the deadline itself included)", got, want)
	}
	if got := dueString(mustDue(t, s, "due", at(2*time.Second-time.Microsecond), 0, 10)); got != "b@1000000 c@1000000" {
		t.Fatalf("Due a microsecond before a's deadline = %s", got)
	}
	if got := dueString(mustDue(t, s, "due", at(time.Hour), 1, 2)); got != "c@1000000 a@2000000" {
		t.Fatalf("Due offset 1 limit 2 = %s", got)
	}
	if got := mustDue(t, s, "due", at(time.Hour), 4, 2); len(got) != 0 {
		t.Fatalf("Due past the end = %v", got)
	}
	for _, limit := range []int{0, -1} { // Redis reads a negative count as "all"
		if got := mustDue(t, s, "due", at(time.Hour), 0, limit); len(got) != 0 {
			t.Fatalf("Due with limit %d = %v", limit, got)
		}
	}
	if n, err := s.Scheduled(t.Context(), "due"); err != nil || n != 4 {
		t.Fatalf("Scheduled = %d, %v; want 4", n, err)
	}
	if n, err := s.Scheduled(t.Context(), "nothing"); err != nil || n != 0 {
		t.Fatalf("Scheduled of a missing set = %d, %v", n, err)
	}
}

func testScheduleMoves(t *testing.T, s store.Store) {
	late, early := dueT0.Add(time.Hour), dueT0.Add(time.Minute)
	if got := mustSchedule(t, s, "due", "m", late); !got.Equal(late.Truncate(time.Microsecond)) {
		t.Fatalf("Schedule stored %v, want %v", got, late)
	}
	mustSchedule(t, s, "due", "m", early)
	if got := dueString(mustDue(t, s, "due", late, 0, 10)); got != "m@60000000" {
		t.Fatalf("after moving earlier: %s", got)
	}
	mustSchedule(t, s, "due", "m", late)
	if got := mustDue(t, s, "due", early, 0, 10); len(got) != 0 {
		t.Fatalf("a deadline moved later is still due early: %v", got)
	}
	// The same deadline again is stored a microsecond earlier, twice in a
	// row too: each Schedule must be visible to a compare.
	first := mustSchedule(t, s, "due", "m", late)
	second := mustSchedule(t, s, "due", "m", late)
	want := late.Truncate(time.Microsecond)
	if !first.Equal(want.Add(-time.Microsecond)) || !second.Equal(want) {
		t.Fatalf("Schedule at the stored deadline stored %v then %v; want %v then %v", first, second, want.Add(-time.Microsecond), want)
	}
}

func testRescheduleCompares(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := mustSchedule(t, s, "due", "m", dueT0)
	later := dueT0.Add(time.Hour)
	if ok, err := s.Reschedule(ctx, "due", "m", at.Add(time.Microsecond), later); err != nil || ok {
		t.Fatalf("Reschedule from a deadline m does not have = %t, %v", ok, err)
	}
	if ok, err := s.Reschedule(ctx, "due", "nobody", at, later); err != nil || ok {
		t.Fatalf("Reschedule of a missing member = %t, %v", ok, err)
	}
	if ok, err := s.Reschedule(ctx, "nothing", "m", at, later); err != nil || ok {
		t.Fatalf("Reschedule in a missing set = %t, %v", ok, err)
	}
	if got := dueString(mustDue(t, s, "due", dueT0, 0, 10)); got != "m@0" {
		t.Fatalf("a refused Reschedule moved m: %s", got)
	}
	if ok, err := s.Reschedule(ctx, "due", "m", at, later); err != nil || !ok {
		t.Fatalf("Reschedule from m's deadline = %t, %v", ok, err)
	}
	if got := dueString(mustDue(t, s, "due", later, 0, 10)); got != "m@3600000000" {
		t.Fatalf("after Reschedule: %s", got)
	}
	if ok, err := s.Reschedule(ctx, "due", "m", later, later); err != nil || !ok {
		t.Fatalf("Reschedule to where it is = %t, %v", ok, err)
	}
	if got := dueString(mustDue(t, s, "due", later, 0, 10)); got != "m@3600000000" {
		t.Fatalf("Reschedule to the same deadline moved it: %s", got)
	}
}

func testUnscheduleCompares(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := mustSchedule(t, s, "due:u", "m", dueT0)
	mustSchedule(t, s, "due:u", "n", dueT0)
	if ok, err := s.Unschedule(ctx, "due:u", "m", at.Add(-time.Microsecond)); err != nil || ok {
		t.Fatalf("Unschedule at a deadline m does not have = %t, %v", ok, err)
	}
	if ok, err := s.Unschedule(ctx, "due:u", "m", at); err != nil || !ok {
		t.Fatalf("Unschedule at m's deadline = %t, %v", ok, err)
	}
	if ok, err := s.Unschedule(ctx, "due:u", "m", at); err != nil || ok {
		t.Fatalf("Unschedule of a member already gone = %t, %v", ok, err)
	}
	if got := dueString(mustDue(t, s, "due:u", dueT0, 0, 10)); got != "n@0" {
		t.Fatalf("after Unschedule: %s", got)
	}
	if ok, err := s.Unschedule(ctx, "due:u", "n", at); err != nil || !ok {
		t.Fatalf("Unschedule of the last member = %t, %v", ok, err)
	}
	if keys := mustList(t, s, "due:"); len(keys) != 0 {
		t.Fatalf("an empty due-set is still a key: %v", keys)
	}
}

// testRescheduleRace: sweepers that read the same deadline race to move
// it; exactly one may, and a Schedule between the read and the move makes
// every one of them lose.
func testRescheduleRace(t *testing.T, s store.Store) {
	at := mustSchedule(t, s, "due", "m", dueT0)
	var wins atomic.Int32
	parallel(20, func(i int) {
		ok, err := s.Reschedule(t.Context(), "due", "m", at, dueT0.Add(time.Duration(i+1)*time.Second))
		if err != nil {
			t.Error(err)
		}
		if ok {
			wins.Add(1)
		}
	})
	if wins.Load() != 1 {
		t.Fatalf("%d Reschedules from the same deadline won, want 1", wins.Load())
	}
	due := mustDue(t, s, "due", dueT0.Add(time.Hour), 0, 10)
	if len(due) != 1 {
		t.Fatalf("Due = %v", due)
	}
	at = mustSchedule(t, s, "due", "m", due[0].At) // a writer sets the same deadline again
	if ok, _ := s.Reschedule(t.Context(), "due", "m", due[0].At, dueT0); ok {
		t.Fatal("a Reschedule from a deadline read before a Schedule won")
	}
	if ok, _ := s.Unschedule(t.Context(), "due", "m", due[0].At); ok {
		t.Fatal("an Unschedule at a deadline read before a Schedule won")
	}
	if got := mustDue(t, s, "due", dueT0.Add(time.Hour), 0, 10); len(got) != 1 || !got[0].At.Equal(at) {
		t.Fatalf("after the writer: %v, want m at %v", got, at)
	}
}

func mustSchedule(t *testing.T, s store.Store, set, member string, at time.Time) time.Time {
	t.Helper()
	got, err := s.Schedule(t.Context(), set, member, at)
	if err != nil {
		t.Fatalf("Schedule(%q, %q): %v", set, member, err)
	}
	return got
}

func mustDue(t *testing.T, s store.Store, set string, now time.Time, offset, limit int) []store.Deadline {
	t.Helper()
	due, err := s.Due(t.Context(), set, now, offset, limit)
	if err != nil {
		t.Fatalf("Due(%q): %v", set, err)
	}
	return due
}

// dueString shows deadlines as member@µs after dueT0 (cut to the µs).
func dueString(due []store.Deadline) string {
	out := make([]string, len(due))
	base := dueT0.UnixMicro()
	for i, d := range due {
		out[i] = d.Member + "@" + strconv.FormatInt(d.At.UnixMicro()-base, 10)
	}
	return strings.Join(out, " ")
}
