// Package audit is the activity trail: who asked, who approved, what was
// checked, what changed, which ticket. Events hold facts, never secrets.
package audit

import (
	"context"
	"time"
)

// Event is one line of the trail.
type Event struct {
	Time      time.Time         `json:"time"`
	Type      string            `json:"type"` // request.submitted, request.approved, reset.unlocked, ...
	RequestID string            `json:"request_id,omitempty"`
	Org       string            `json:"org,omitempty"`
	Actor     string            `json:"actor,omitempty"`  // who did it (platform:user id or cli:operator)
	Target    string            `json:"target,omitempty"` // the directory account
	Outcome   string            `json:"outcome"`          // ok, refused, failed
	Detail    map[string]string `json:"detail,omitempty"`
}

// Sink records events. Write must be durable before it returns nil: the flow
// treats a failed audit write as a failed step.
type Sink interface {
	Write(ctx context.Context, e Event) error
}

// Outcomes.
const (
	OK      = "ok"
	Refused = "refused"
	Failed  = "failed"
)
