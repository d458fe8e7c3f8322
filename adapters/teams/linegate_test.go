package teams

import (
	"testing"
	"time"
)

// Ten lines a minute get through; the next minute's first line says how
// many were held back.
func TestLineGate(t *testing.T) {
	var g lineGate
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := range linesPerMinute {
		if n, ok := g.allow(t0.Add(time.Duration(i) * time.Second)); !ok || n != 0 {
			t.Fatalf("line %d: %d %v", i, n, ok)
		}
	}
	for i := range 5 {
		if _, ok := g.allow(t0.Add(30*time.Second + time.Duration(i))); ok {
			t.Fatalf("line %d past the limit let through", linesPerMinute+i)
		}
	}
	if n, ok := g.allow(t0.Add(time.Minute)); !ok || n != 5 {
		t.Fatalf("next minute: %d dropped reported, %v; want 5, true", n, ok)
	}
	if n, ok := g.allow(t0.Add(time.Minute + time.Second)); !ok || n != 0 {
		t.Fatalf("the count was not reset: %d", n)
	}
}
