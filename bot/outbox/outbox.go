// Package outbox sends a chat platform's messages line by line (a Slack
// channel, a Teams conversation) at the pace the platform allows, shared by
// every replica through the store (store.Pace), so a storm of approvals
// queues instead of drawing 429s. Within a line messages go in the order
// they were handed in; updates of one message still waiting collapse into
// the newest (each carries the whole card); nothing else is merged or
// dropped. Coalescing is per process: a message's updates come from the
// replica running its request.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/warm"
)

// Defaults for Config.
const (
	DefaultHandoff    = 3 * time.Second
	DefaultMaxRetries = 5
	sendTimeout       = 15 * time.Second
	maxHold           = 5 * time.Minute  // a longer Retry-After is taken as this
	senderIdle        = 30 * time.Second // a line's sender, done, waits this long for another line
)

// Config wires an Outbox.
type Config struct {
	Store store.Store
	// Prefix goes before every line's key: platform and workspace, so two
	// workspaces' channels with equal ids do not share a pace.
	Prefix string
	// Pacing is the platform's per-line rate (Interval > 0 required).
	Pacing store.Pacing
	// Handoff is how long a detachable message's caller waits for the
	// send; past it the caller goes on and the outbox delivers the message
	// later (default DefaultHandoff).
	Handoff time.Duration
	// MaxRetries is how many 429s one message may draw (default
	// DefaultMaxRetries); each pushes the whole line out by its
	// Retry-After, on every replica.
	MaxRetries int
	Log        zerolog.Logger
}

// Msg is one call to the platform.
type Msg struct {
	// Line is the channel or conversation the call counts against.
	Line string
	// Coalesce, when set, names the message an update replaces: a later
	// Msg with the same Coalesce on the line, while this one waits,
	// replaces it (both callers get the newer one's result).
	Coalesce string
	// Detach lets the message outlive its caller: once ctx ends or Handoff
	// passes, Send returns nil and the message still goes out. Without it
	// (a post whose reference the caller needs) the message is withdrawn
	// when ctx ends before it was sent, and Send says so.
	Detach bool
	// Send makes the call, once. An error with a RetryAfter method (a 429)
	// is retried after that long.
	Send func(ctx context.Context) error
}

// Limited is an error that carries a platform's Retry-After.
type Limited interface{ RetryAfter() time.Duration }

// ErrWithdrawn: the caller's context ended before the line had a slot
// for its message, which was not sent.
var ErrWithdrawn = errors.New("outbox: the channel's rate limit left no slot in time; the message was not sent")

// Stats counts what the outbox did, for tests and the figures in docs.
type Stats struct {
	Sent, Coalesced, Retried, HandedOff, Withdrawn, Failed int64
}

// Outbox is safe for concurrent use. Create it with New.
type Outbox struct {
	cfg   Config
	mu    sync.Mutex
	lines map[string]*line
	grace time.Duration // expectGrace; tests shorten it
	wg    sync.WaitGroup
	pool  *warm.Pool // the lines' senders: one per busy line, stacks grown already
	stats struct{ sent, coalesced, retried, handedOff, withdrawn, failed atomic.Int64 }
}

// New checks cfg and returns an idle outbox; a line's sender runs only
// while the line has messages.
func New(cfg Config) (*Outbox, error) {
	if cfg.Store == nil || cfg.Pacing.Interval <= 0 {
		return nil, fmt.Errorf("outbox.New: a store and a positive pacing interval are required")
	}
	if cfg.Handoff <= 0 {
		cfg.Handoff = DefaultHandoff
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	return &Outbox{cfg: cfg, lines: map[string]*line{}, grace: expectGrace, pool: warm.New(senderIdle)}, nil
}

// Send queues m on its line and waits for its result, its caller's ctx or,
// for a detached message, Handoff.
func (o *Outbox) Send(ctx context.Context, m Msg) error {
	it, fresh := o.enqueue(ctx, m)
	if !fresh {
		o.stats.coalesced.Add(1)
	}
	var handoff <-chan time.Time
	if m.Detach {
		t := time.NewTimer(o.cfg.Handoff)
		defer t.Stop()
		handoff = t.C
	}
	select {
	case <-it.done:
		return it.err
	case <-handoff:
	case <-ctx.Done():
	}
	if m.Detach {
		o.stats.handedOff.Add(1)
		return nil
	}
	if o.withdraw(m.Line, it) {
		o.stats.withdrawn.Add(1)
		return fmt.Errorf("%w: %w", ErrWithdrawn, ctx.Err())
	}
	<-it.done // in flight already: its own ctx (the caller's) ends it soon
	return it.err
}

// Stats returns the counters so far.
func (o *Outbox) Stats() Stats {
	s := &o.stats
	return Stats{Sent: s.sent.Load(), Coalesced: s.coalesced.Load(), Retried: s.retried.Load(),
		HandedOff: s.handedOff.Load(), Withdrawn: s.withdrawn.Load(), Failed: s.failed.Load()}
}

// Drain waits until every queued message was sent (or failed), or ctx
// ends; then it reports how many were left unsent.
func (o *Outbox) Drain(ctx context.Context) error {
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		o.mu.Lock()
		n := 0
		for _, l := range o.lines {
			n += len(l.queue)
		}
		o.mu.Unlock()
		return fmt.Errorf("outbox: %d chat messages still waiting for their channel's rate limit: %w", n, ctx.Err())
	}
}
