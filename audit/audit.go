// Package audit is the activity trail: who asked, who approved, what was
// checked, what changed, which ticket. Events hold facts, never secrets.
package audit

import (
	"context"
	"time"
)

// Event is one line of the trail.
type Event struct {
	Time      time.Time `json:"time"`
	Type      string    `json:"type"` // request.submitted, request.approved, reset.password_set, ...
	RequestID string    `json:"request_id,omitempty"`
	Org       string    `json:"org,omitempty"`
	Platform  string    `json:"platform,omitempty"`   // slack, teams, cli, demo; empty for the bot's own steps
	Actor     string    `json:"actor,omitempty"`      // who did it: platform[:tenant]:immutable user id, or "system"
	ActorName string    `json:"actor_name,omitempty"` // their handle when it was done, for people reading the trail
	Target    string    `json:"target,omitempty"`     // the directory account as typed or picked
	// TargetDN is the account's directory handle once it was resolved, so a
	// refused attempt on an admin still says whose account it was.
	TargetDN string `json:"target_dn,omitempty"`
	Ticket   string `json:"ticket,omitempty"` // PSA ticket id, once known
	// Link is the chat permalink of the request's thread, once posted.
	Link    string            `json:"link,omitempty"`
	Outcome string            `json:"outcome"` // ok, refused, failed
	Detail  map[string]string `json:"detail,omitempty"`
}

// Sink records events. Write must be durable before it returns nil, and so
// must every event appended before it: the flow treats a failed audit
// write as a failed step, and writes durably right before each change to a
// directory.
type Sink interface {
	Write(ctx context.Context, e Event) error
}

// Appender is a Sink that can also take an event without waiting for the
// disk: Append returns once the event is handed to the operating system (it
// survives the process being killed) and the sink makes it durable soon
// after, and at the latest with the next Write. The flow appends the events
// that report a change already made, so a reset pays for one disk flush
// before its directory write and one at its end instead of one per event.
type Appender interface {
	Sink
	Append(ctx context.Context, e Event) error
}

// Syncer is an Appender whose appended events can be made durable by one
// call, without an event of its own: the flow appends the start of a reset,
// reads the directory while the disk flushes, and waits for Sync before it
// changes anything. Sync returns nil once everything the sink took before
// the call is durable. An Appender whose Append is weaker than its Write
// must be a Syncer; one whose Append is its Write need not.
type Syncer interface {
	Appender
	Sync(ctx context.Context) error
}

// Outcomes.
const (
	OK      = "ok"
	Refused = "refused"
	Failed  = "failed"
)

// Watched is a sink that says how it is doing, for /readyz and /metrics.
type Watched interface {
	Name() string                    // "file", "redis-stream", "syslog": a bounded label
	Check(ctx context.Context) error // can it write right now? One clear sentence if not.
	Stats() SinkStats
}

// SinkStats are a sink's counters since it started.
type SinkStats struct {
	Written  uint64        // records accepted by the destination
	Failures uint64        // writes that failed (each retry counts)
	Pending  int           // records buffered, not yet accepted
	Lag      time.Duration // age of the oldest pending record; 0 when none
}
