// Package linelimit is the per-line rate limit the strict chat fakes
// enforce (a Slack channel, a Teams conversation), written once so the
// fakes cannot drift apart: the generic cell rate algorithm, as the
// platforms describe theirs ("a burst, then one per interval"), and what
// each line let through, for the peaks tests assert on.
package linelimit

import (
	"math"
	"time"
)

// Limit is one line's rate: after a quiet spell Burst calls may come at
// once, then one per Interval.
type Limit struct {
	Interval time.Duration
	Burst    int
}

// Stats is what one line saw.
type Stats struct {
	Accepted, Rejected int
	// Peak is the most calls let through in any span of the window given
	// to Stats: under the limit it is at most Burst + window/Interval.
	Peak int
	// First and Last are when the first and last accepted calls arrived.
	First, Last time.Time
}

// Lines applies one Limit to many lines. It is not safe for concurrent
// use: a fake calls it under its own lock.
type Lines struct {
	limit Limit
	lines map[string]*line
}

type line struct {
	tat      time.Time   // theoretical arrival time of the next call
	accepted []time.Time // arrival of every call let through
	rejected int
}

// New returns lines limited to l (a Burst below 1 counts as 1).
func New(l Limit) *Lines {
	l.Burst = max(l.Burst, 1)
	return &Lines{limit: l, lines: map[string]*line{}}
}

// Admit counts a call on line key arriving at at. It returns -1 when the
// call may go on, else the Retry-After to answer, in whole seconds (at
// least 1), and counts the refusal.
func (ls *Lines) Admit(key string, at time.Time) int {
	st := ls.lines[key]
	if st == nil {
		st = &line{tat: at}
		ls.lines[key] = st
	}
	tat := st.tat
	if tat.Before(at) {
		tat = at
	}
	allowed := tat.Add(-time.Duration(ls.limit.Burst-1) * ls.limit.Interval)
	if at.Before(allowed) {
		st.rejected++
		return max(1, int(math.Ceil(allowed.Sub(at).Seconds())))
	}
	st.tat = tat.Add(ls.limit.Interval)
	st.accepted = append(st.accepted, at)
	return -1
}

// Stats returns what line key saw, its peak counted over window.
func (ls *Lines) Stats(key string, window time.Duration) Stats {
	c := ls.lines[key]
	if c == nil {
		return Stats{}
	}
	st := Stats{Accepted: len(c.accepted), Rejected: c.rejected}
	if len(c.accepted) > 0 {
		st.First, st.Last = c.accepted[0], c.accepted[len(c.accepted)-1]
	}
	lo := 0
	for hi, at := range c.accepted {
		for at.Sub(c.accepted[lo]) >= window {
			lo++
		}
		st.Peak = max(st.Peak, hi-lo+1)
	}
	return st
}
