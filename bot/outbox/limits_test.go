package outbox

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
)

// A message draws at most MaxRetries 429s: the first call and MaxRetries
// more, then its caller gets the 429. A "429" without a Retry-After is not
// retried at all.
func TestRetriesAreBounded(t *testing.T) {
	st := memstore.New()
	o, err := New(Config{Store: st, Pacing: store.Pacing{Interval: time.Millisecond, Burst: 10}, MaxRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	var calls atomic.Int32
	err = o.Send(ctx, Msg{Line: "C", Send: func(context.Context) error { calls.Add(1); return limited(time.Millisecond) }})
	var lim Limited
	if !errors.As(err, &lim) || calls.Load() != 3 || o.Stats().Retried != 2 {
		t.Fatalf("always 429, MaxRetries 2: %d calls, %d retried, err %v; want 3 calls, 2 retries, the 429", calls.Load(), o.Stats().Retried, err)
	}
	calls.Store(0)
	err = o.Send(ctx, Msg{Line: "C", Send: func(context.Context) error { calls.Add(1); return limited(0) }})
	if !errors.As(err, &lim) || calls.Load() != 1 || o.Stats().Retried != 2 || o.Stats().Failed != 2 {
		t.Fatalf("429 without Retry-After: %d calls, stats %+v, err %v; want one call, failed", calls.Load(), o.Stats(), err)
	}
}

// New refuses a pacing interval of zero (no pace at all), and a zero
// Handoff takes the default: a detached message's caller still waits for a
// quick send instead of going on at once.
func TestNewDefaults(t *testing.T) {
	if _, err := New(Config{Store: memstore.New()}); err == nil {
		t.Fatal("a zero pacing interval was accepted")
	}
	o, err := New(Config{Store: memstore.New(), Pacing: store.Pacing{Interval: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.Handoff != DefaultHandoff || o.cfg.MaxRetries != DefaultMaxRetries {
		t.Fatalf("defaults: handoff %s, retries %d", o.cfg.Handoff, o.cfg.MaxRetries)
	}
	sent := false
	err = o.Send(t.Context(), Msg{Line: "C", Detach: true, Send: func(context.Context) error {
		time.Sleep(20 * time.Millisecond)
		sent = true
		return nil
	}})
	if err != nil || !sent || o.Stats().HandedOff != 0 {
		t.Fatalf("detached quick send: err %v, sent %v, stats %+v; want sent before Send returned", err, sent, o.Stats())
	}
}
