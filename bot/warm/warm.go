// Package warm runs short pieces of work on goroutines kept from earlier
// ones. A new goroutine starts on a small stack and grows it by copying
// each time the work goes deeper (a form drawn, the chat outbox, net/http's
// client): at 400 Teams messages a second that copying (runtime.newstack)
// was 7.7% of serve's CPU, spent on the path to the person's form. A
// goroutine that has done a piece of work keeps its grown stack and waits
// a while for the next one.
package warm

import (
	"sync/atomic"
	"time"
)

// Pool is safe for concurrent use; its zero value is not (use New).
type Pool struct {
	work    chan func()
	idle    time.Duration
	started atomic.Int64
}

// New returns a pool whose goroutines end after idle without work.
func New(idle time.Duration) *Pool { return &Pool{work: make(chan func()), idle: idle} }

// Go runs fn on a goroutine of p that waits for work, or on a new one when
// none does: it never blocks, so work is never queued behind other work.
func (p *Pool) Go(fn func()) {
	select {
	case p.work <- fn:
	default:
		p.started.Add(1)
		go p.loop(fn)
	}
}

// Started is how many goroutines p has started so far.
func (p *Pool) Started() int64 { return p.started.Load() }

func (p *Pool) loop(fn func()) {
	t := time.NewTimer(p.idle)
	defer t.Stop()
	for {
		fn()
		fn = nil // what it held is not kept alive while waiting
		t.Reset(p.idle)
		select {
		case fn = <-p.work:
		case <-t.C:
			return
		}
	}
}
