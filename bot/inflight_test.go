package bot

import (
	"context"
	"testing"

	"github.com/rs/zerolog"
)

// TestInFlight: the jobs gauge counts work while it runs and forgets it
// when it ends.
func TestInFlight(t *testing.T) {
	p := NewInProcess(zerolog.Nop())
	started, release := make(chan struct{}), make(chan struct{})
	for range 2 {
		p.Go(func(context.Context) { started <- struct{}{}; <-release })
	}
	<-started
	<-started
	s := &Service{bg: p, jobs: p}
	if n := s.InFlight(); n != 2 {
		t.Fatalf("InFlight = %d with two jobs running, want 2", n)
	}
	close(release)
	if err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := s.InFlight(); n != 0 {
		t.Fatalf("InFlight = %d after both ended, want 0", n)
	}
}
