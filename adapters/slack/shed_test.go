package slack

import (
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

// In a flood of /unlock alice the facts redraws beyond the allowance are
// skipped; every modal still opens.
func TestFactsRedrawsAreShedInAFlood(t *testing.T) {
	e := newEnv(t, nil)
	e.a.facts = &rateGate{max: 2}
	frozen := time.Now()
	e.a.now = func() time.Time { return frozen } // all five in one second of the gate

	for range 5 {
		e.mustOK(e.send("/slack/commands", e.command(uTech, chAcme, "alice")))
	}
	e.wait()
	if opens, ups := len(e.fake.Calls("views.open")), len(e.fake.Calls("views.update")); opens != 5 || ups != 2 {
		t.Fatalf("%d views.open, %d facts redraws; want 5 and 2", opens, ups)
	}
}
