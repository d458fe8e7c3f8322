package memstore_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := memstore.New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// fakeClock is safe for concurrent use: the store reads it under its lock
// while the test advances it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func TestClockDrivesExpiry(t *testing.T) {
	ctx := t.Context()
	clk := &fakeClock{now: time.Date(2025, 11, 30, 10, 0, 0, 0, time.UTC)}
	s := memstore.New(memstore.WithClock(clk.Now))
	if _, err := s.Create(ctx, "r", []byte("x"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Mark(ctx, "m", time.Minute); !ok {
		t.Fatal("first Mark = false")
	}
	clk.Add(time.Minute - time.Nanosecond)
	if _, err := s.Get(ctx, "r"); err != nil {
		t.Fatalf("Get just before expiry: %v", err)
	}
	clk.Add(time.Nanosecond)
	if _, err := s.Get(ctx, "r"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get at expiry err = %v, want ErrNotFound", err)
	}
	if ok, _ := s.Mark(ctx, "m", time.Minute); !ok {
		t.Fatal("Mark after expiry = false, want true")
	}
}

func TestKindsShareKeySpace(t *testing.T) {
	ctx := t.Context()
	s := memstore.New()
	if ok, _ := s.Mark(ctx, "k", time.Hour); !ok {
		t.Fatal("Mark = false")
	}
	if _, err := s.Create(ctx, "k", nil, 0); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Create over a marker err = %v, want ErrConflict", err)
	}
	if _, err := s.Get(ctx, "k"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of a marker err = %v, want a wrong-kind error", err)
	}
}

func TestClosed(t *testing.T) {
	s := memstore.New()
	s.Close()
	if _, err := s.Get(t.Context(), "k"); err == nil {
		t.Fatal("Get after Close: want an error")
	}
}
