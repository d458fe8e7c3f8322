package metrics

import (
	"strings"
	"sync"
	"time"

	"github.com/unlockbot/unlockbot/audit"
)

// A reset's steps are timed by the gaps between its events in the trail:
// approved → write_started (prepare: re-read, guard, password) → written
// (write) → verified (verify) → ticket.created / ticket.noted (ticket) → ticket.resolved →
// completed (finish), and approved → completed (total). Only the events
// this process writes are seen, so a reset taken over from another
// replica is timed from the first event seen here.
const (
	stepTTL     = 10 * time.Minute // a run silent this long is forgotten
	stepMaxRuns = 10000            // runs tracked at once; more are not timed
)

// stepOf names the step an event ends, "" for one that only starts the
// clock, or ok=false for an event that is no step.
func stepOf(t string) (step string, ok bool) {
	switch t {
	case "request.approved", "request.retried":
		return "", true
	case "reset.password_set", "unlock.unlocked":
		return "write", true
	case "reset.unlock_started":
		return "prepare", true
	case "reset.unlocked":
		return "unlock", true
	case "ticket.created":
		return "ticket_create", true
	case "ticket.noted":
		return "ticket_note", true
	case "ticket.resolved":
		return "ticket_resolve", true
	case "ticket.pending":
		return "ticket_pending", true
	}
	mode, what, _ := strings.Cut(t, ".")
	if !isMode(mode) {
		return "", false
	}
	switch what {
	case "write_started":
		return "prepare", true
	case "verified":
		return "verify", true
	case "completed":
		return "finish", true
	}
	return "", false
}

// endsRun: after these no step of the run follows (a retry starts anew).
func endsRun(t string) bool {
	if _, ok := terminalOutcome(t); ok {
		return true
	}
	mode, what, _ := strings.Cut(t, ".")
	return isMode(mode) && (what == "failed" || what == "verify_failed")
}

type run struct {
	start, last time.Time // event times
	seen        time.Time // wall clock, for forgetting
}

type stepObs struct {
	step    string
	seconds float64
}

type stepTracker struct {
	now       func() time.Time
	mu        sync.Mutex
	runs      map[string]*run
	lastPrune time.Time
}

func newStepTracker(now func() time.Time) *stepTracker {
	return &stepTracker{now: now, runs: map[string]*run{}}
}

// observe returns the durations an event ends.
func (t *stepTracker) observe(e audit.Event) []stepObs {
	if e.RequestID == "" {
		return nil
	}
	step, isStep := stepOf(e.Type)
	end := endsRun(e.Type)
	if !isStep && !end {
		return nil
	}
	now := t.now()
	at := e.Time
	if at.IsZero() {
		at = now
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.lastPrune) > stepTTL/10 {
		t.prune(now)
	}
	r := t.runs[e.RequestID]
	if r != nil && now.Sub(r.seen) > stepTTL {
		r = nil // forgotten, though not yet pruned
	}
	var out []stepObs
	if r != nil && step != "" {
		if d := at.Sub(r.last); d >= 0 {
			out = append(out, stepObs{step, d.Seconds()})
		}
		if step == "finish" {
			if d := at.Sub(r.start); d >= 0 {
				out = append(out, stepObs{"total", d.Seconds()})
			}
		}
	}
	switch {
	case end:
		delete(t.runs, e.RequestID)
	case e.Type == "request.approved" || e.Type == "request.retried" || r == nil:
		t.begin(e.RequestID, at, now)
	default:
		r.last, r.seen = at, now
	}
	return out
}

// begin starts timing a run; a full map is pruned of forgotten runs first,
// and a run that still does not fit goes untimed. (observe prunes too,
// once a minute.)
func (t *stepTracker) begin(id string, at, now time.Time) {
	if _, ok := t.runs[id]; !ok && len(t.runs) >= stepMaxRuns {
		t.prune(now)
		if len(t.runs) >= stepMaxRuns {
			return
		}
	}
	t.runs[id] = &run{start: at, last: at, seen: now}
}

func (t *stepTracker) prune(now time.Time) {
	t.lastPrune = now
	for id, r := range t.runs {
		if now.Sub(r.seen) > stepTTL {
			delete(t.runs, id)
		}
	}
}

func (t *stepTracker) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.runs)
}
