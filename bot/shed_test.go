package bot

import (
	"context"
	"testing"
	"time"
)

func TestRateGate(t *testing.T) {
	g := &rateGate{max: 3}
	at := time.Unix(1700000000, 0)
	var got []bool
	for range 5 {
		got = append(got, g.allow(at.Add(200*time.Millisecond)))
	}
	if want := []bool{true, true, true, false, false}; !equalBools(got, want) {
		t.Fatalf("one second: %v, want %v", got, want)
	}
	if !g.allow(at.Add(time.Second)) {
		t.Fatal("the next second starts a new allowance")
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// In a flood the facts redraws beyond the allowance are shed; the next
// second lets them through again.
func TestPickedFactsAreShedInAFlood(t *testing.T) {
	h := newHarness(t, nil)
	shown := 0
	for range factsMaxRate + 5 {
		if c, ok := h.svc.PickedFacts(context.Background(), tech, "acme", "alice"); ok {
			if c.Title == "" || len(c.Fields) == 0 {
				t.Fatalf("facts card without facts: %+v", c)
			}
			shown++
		}
	}
	if shown != factsMaxRate {
		t.Fatalf("%d redraws in one second, want %d", shown, factsMaxRate)
	}
	h.clock.add(time.Second)
	if _, ok := h.svc.PickedFacts(context.Background(), tech, "acme", "alice"); !ok {
		t.Fatal("the next second starts a new allowance")
	}
	for _, bad := range [][2]string{{"", "alice"}, {"acme", " "}, {"nope", "alice"}} {
		h.clock.add(time.Second)
		if _, ok := h.svc.PickedFacts(context.Background(), tech, bad[0], bad[1]); ok {
			t.Fatalf("facts shown for org %q account %q", bad[0], bad[1])
		}
	}
}
