package outbox

import (
	"context"
	"errors"
	"slices"
	"time"
)

// item is one queued message and whoever waits for it (more than one
// caller once updates coalesced into it).
type item struct {
	ctx      context.Context
	m        Msg
	tries    int  // 429s drawn so far
	inFlight bool // popped by the line's sender; o.mu guards it
	done     chan struct{}
	err      error
}

// line is one channel's queue. Slots belong to the line, not to a
// message: the sender takes a slot, then the message at the head, so a
// message withdrawn while the line waited wastes nothing.
type line struct {
	key   string
	queue []*item
	hold  time.Time // a Retry-After to pass on to the next slot
	// expect, until it passes, keeps an idle line's sender waiting for a
	// message announced by Expect; arrived wakes it.
	expect  time.Time
	arrived chan struct{}
}

// expectGrace is how long a slot taken for an announced message waits for
// it; past it the slot is given up (one slot of the line's pace spent).
const expectGrace = 2 * time.Second

// Expect says a message for line is being drawn (an answer to what a
// person just typed): an idle line asks for its next slot now and sends
// the message as soon as it comes, without waiting for the store's answer
// unless that came first and said to wait (askSlot). A busy line takes
// its slots anyway and is left as it is.
func (o *Outbox) Expect(name string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.lines[name] != nil {
		return
	}
	l := &line{key: o.cfg.Prefix + name, expect: time.Now().Add(o.grace), arrived: make(chan struct{}, 1)}
	o.lines[name] = l
	o.wg.Add(1)
	o.pool.Go(func() { o.run(name, l) })
}

// awaitExpected waits, after the slot, for the announced message of an
// idle line; false when it did not come in time. o.mu is not held.
func (o *Outbox) awaitExpected(l *line) bool {
	o.mu.Lock()
	wait := len(l.queue) == 0 && l.arrived != nil
	until := l.expect
	o.mu.Unlock()
	if !wait {
		return true
	}
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case <-l.arrived:
		return true
	case <-t.C:
		return false
	}
}

// enqueue appends m, or folds it into a waiting update of the same
// message (fresh false). The first message of an idle line starts its
// sender.
func (o *Outbox) enqueue(ctx context.Context, m Msg) (*item, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	l := o.lines[m.Line]
	if l == nil {
		l = &line{key: o.cfg.Prefix + m.Line}
		o.lines[m.Line] = l
		o.wg.Add(1)
		o.pool.Go(func() { o.run(m.Line, l) })
	}
	if m.Coalesce != "" {
		for _, it := range l.queue {
			if it.m.Coalesce == m.Coalesce {
				it.ctx, it.m = ctx, m // the newest card is the whole card
				return it, false
			}
		}
	}
	it := &item{ctx: ctx, m: m, done: make(chan struct{})}
	l.queue = append(l.queue, it)
	if l.arrived != nil {
		select {
		case l.arrived <- struct{}{}:
		default:
		}
	}
	return it, true
}

// withdraw takes a message that has not gone out off its line.
func (o *Outbox) withdraw(name string, it *item) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	l := o.lines[name]
	if l == nil || it.inFlight {
		return false
	}
	i := slices.Index(l.queue, it)
	if i < 0 {
		return false
	}
	l.queue = slices.Delete(l.queue, i, i+1)
	it.err = ErrWithdrawn
	close(it.done)
	return true
}

// run is a line's sender: while the line has messages, take the next
// shared slot, wait for it, send the head. It ends when the line is empty.
func (o *Outbox) run(name string, l *line) {
	defer o.wg.Done()
	var asked *asked // an announced message's slot, asked for beside it
	for {
		// The store has the last slot before the line is given up (a new
		// sender could start on it at once) or asked for the next one.
		asked.join()
		asked = nil
		o.mu.Lock()
		if len(l.queue) == 0 && !time.Now().Before(l.expect) {
			delete(o.lines, name)
			o.mu.Unlock()
			return
		}
		hold := l.hold
		l.hold = time.Time{}
		announced := l.arrived != nil && hold.IsZero()
		o.mu.Unlock()

		var arrived bool
		if announced {
			asked = o.askSlot(l.key)
			if arrived = o.awaitExpected(l); arrived {
				asked.passed()
			} else {
				asked.join() // nothing to send: the line may be given up below
			}
		} else {
			o.slot(l.key, hold)
			arrived = o.awaitExpected(l)
		}

		o.mu.Lock()
		l.expect, l.arrived = time.Time{}, nil // one announced message per Expect
		if len(l.queue) == 0 || !arrived {
			if len(l.queue) == 0 {
				delete(o.lines, name)
				o.mu.Unlock()
				return
			}
			o.mu.Unlock()
			continue // every waiter gave up meanwhile, or it came just late: take a new slot
		}
		it := l.queue[0]
		l.queue = l.queue[1:]
		it.inFlight = true
		ctx, m := it.ctx, it.m
		o.mu.Unlock()

		err := o.call(ctx, m)
		var lim Limited
		if errors.As(err, &lim) && lim.RetryAfter() > 0 && it.tries < o.cfg.MaxRetries {
			it.tries++
			o.stats.retried.Add(1)
			o.mu.Lock()
			it.inFlight = false
			l.queue = slices.Insert(l.queue, 0, it)
			l.hold = time.Now().Add(min(lim.RetryAfter(), maxHold))
			o.mu.Unlock()
			continue
		}
		o.finish(l, it, err)
	}
}

// slot reserves the line's next slot in the store and sleeps until it.
// A store that does not answer must not stop chat: the line then paces
// itself, one interval per message, in this process alone.
func (o *Outbox) slot(key string, hold time.Time) {
	p := o.cfg.Pacing
	p.NotBefore = hold
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	wait, err := o.cfg.Store.Pace(ctx, key, time.Now(), p)
	cancel()
	if err != nil {
		o.cfg.Log.Warn().Err(err).Str("line", key).Msg("the shared chat pace is not answering; pacing this channel in this replica only")
		wait = max(p.Interval, time.Until(hold))
	}
	if wait > 0 {
		time.Sleep(wait)
	}
}

// asked is a slot asked for and not waited for: an announced message (the
// answer to what a person just typed) goes out as soon as it is drawn,
// since a conversation the person is typing in is idle but for rare
// cases; the slot is still taken, so what follows it waits its turn, and
// a 429 in those rare cases is retried as any other.
type asked struct {
	at     time.Time
	answer chan time.Duration
	got    bool
}

// askSlot asks the store for the line's next slot without waiting.
func (o *Outbox) askSlot(key string) *asked {
	a := &asked{at: time.Now(), answer: make(chan time.Duration, 1)}
	o.pool.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		wait, err := o.cfg.Store.Pace(ctx, key, a.at, o.cfg.Pacing)
		if err != nil {
			o.cfg.Log.Warn().Err(err).Str("line", key).Msg("the shared chat pace is not answering; pacing this channel in this replica only")
			wait = o.cfg.Pacing.Interval
		}
		a.answer <- wait
	})
	return a
}

// passed waits out a slot whose answer came before the message did and
// said to wait (the line was busy on another replica); otherwise the
// message goes now.
func (a *asked) passed() {
	select {
	case wait := <-a.answer:
		a.got = true
		if d := time.Until(a.at.Add(wait)); d > 0 {
			time.Sleep(d)
		}
	default:
	}
}

// join waits for the store's answer; nil waits for nothing.
func (a *asked) join() {
	if a != nil && !a.got {
		<-a.answer
		a.got = true
	}
}

// call sends once. A detached message is not cut short by its caller
// having gone on; every attempt has its own bound.
func (o *Outbox) call(ctx context.Context, m Msg) error {
	if m.Detach {
		ctx = context.WithoutCancel(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	return m.Send(ctx)
}

func (o *Outbox) finish(l *line, it *item, err error) {
	if err != nil {
		o.stats.failed.Add(1)
		if it.m.Detach { // its caller may be gone: say it here
			o.cfg.Log.Warn().Err(err).Str("line", l.key).Msg("a chat message could not be sent")
		}
	} else {
		o.stats.sent.Add(1)
	}
	o.mu.Lock()
	it.err = err
	o.mu.Unlock()
	close(it.done)
}
