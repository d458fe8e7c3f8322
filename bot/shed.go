package bot

import (
	"sync"
	"time"
)

// factsMaxRate is how many facts redraws one replica starts in a second (600 a minute, far above any helpdesk).
// A redraw after "/unlock alice" or a pick costs about as much CPU as the
// command itself; a helpdesk makes a few a minute, so in a flood (a burst
// of commands, a load test, an attack) the redraws are shed first and the
// modal keeps opening at full speed. Nothing is lost: the approval card
// carries the facts read at submit, and a later pick asks again.
const factsMaxRate = 10

// rateGate lets through at most max events per wall-clock second.
type rateGate struct {
	max int
	mu  sync.Mutex
	sec int64
	n   int
}

// allow counts an event and reports whether it is within this second's
// allowance.
func (g *rateGate) allow(now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s := now.Unix(); s != g.sec {
		g.sec, g.n = s, 0
	}
	g.n++
	return g.n <= g.max
}
