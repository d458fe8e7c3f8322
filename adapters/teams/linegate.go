package teams

import (
	"sync"
	"time"
)

// lineGate lets a few log lines a minute through and counts the rest, so
// a flood of forged requests cannot fill the log (the audit trail has its
// own once-a-minute record, bot.Service.RecordRefusal).
type lineGate struct {
	mu      sync.Mutex
	minute  time.Time
	lines   int
	dropped int
}

const linesPerMinute = 10

// allow reports whether a line may be written now and, if so, how many
// were dropped since the last one written.
func (g *lineGate) allow(now time.Time) (dropped int, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if m := now.Truncate(time.Minute); !m.Equal(g.minute) {
		g.minute, g.lines = m, 0
	}
	if g.lines >= linesPerMinute {
		g.dropped++
		return 0, false
	}
	g.lines++
	dropped, g.dropped = g.dropped, 0
	return dropped, true
}
