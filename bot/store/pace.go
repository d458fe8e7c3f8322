package store

import "time"

// Pacing is how fast one line (a chat channel, a conversation) may carry
// messages, for Store.Pace. It is the generic cell rate algorithm: after a
// quiet spell Burst messages may go at once, then one per Interval, so a
// line never carries more than Burst + t/Interval messages in any span t.
type Pacing struct {
	// Interval is the average gap between two messages; it must be > 0.
	Interval time.Duration
	// Burst is how many may go back to back after a quiet spell; below 1
	// counts as 1 (strictly one per Interval).
	Burst int
	// NotBefore, when set, holds the line: no slot starts before it, and
	// the slots after it follow one per Interval with no burst. A 429's
	// Retry-After sets it, so every replica backs off, not only the one
	// that was told.
	NotBefore time.Time
}

// BurstOrOne is Burst, at least 1.
func (p Pacing) BurstOrOne() int { return max(p.Burst, 1) }
