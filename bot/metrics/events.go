package metrics

import (
	"context"
	"math"
	"strconv"
	"strings"

	"github.com/unlockbot/unlockbot/audit"
)

// Sink returns an audit sink that turns events into series. It never fails
// and keeps nothing durable, so it goes beside the durable sinks (in a
// fan-out), never in place of one; it sees an event when the flow hands it
// over, before or after the durable sinks took it, as the fan-out orders.
func (m *M) Sink() audit.Appender { return eventSink{m} }

type eventSink struct{ m *M }

func (s eventSink) Write(_ context.Context, e audit.Event) error  { s.m.observe(e); return nil }
func (s eventSink) Append(_ context.Context, e audit.Event) error { s.m.observe(e); return nil }

// observe counts one event. Label values come from closed lists (labels.go).
func (m *M) observe(e audit.Event) {
	m.events.WithLabelValues(typeLabel(e.Type)).Inc()
	if isRefusal(e.Type) {
		m.refusals.WithLabelValues(refusalReason(e.Type, e.Detail)).Inc()
	}
	if out, ok := terminalOutcome(e.Type); ok {
		m.requests.WithLabelValues(m.orgs.label(e.Org), platformLabel(e.Platform, e.Actor), out).Inc()
	}
	if e.Type == "request.approved" || e.Type == "request.denied" {
		if s, ok := waitSeconds(e.Detail["wait_ms"]); ok {
			m.approvalWait.WithLabelValues(m.orgs.label(e.Org)).Observe(s)
		}
	}
	for _, o := range m.steps.observe(e) {
		m.stepSeconds.WithLabelValues(o.step).Observe(o.seconds)
	}
}

// terminalOutcome says whether the event ends a request, and how. A reset
// attempt that failed with a retry offered (reset.failed) is not an end:
// the request may still complete; unlockbot_audit_events_total counts it.
func terminalOutcome(t string) (string, bool) {
	switch t {
	case "request.denied":
		return "denied", true
	case "request.expired":
		return "expired", true
	case "request.failed":
		return "failed", true
	case "request.refused":
		return "refused", true
	}
	mode, what, ok := strings.Cut(t, ".")
	if !ok || !isMode(mode) {
		return "", false
	}
	switch what {
	case "completed":
		return "completed", true
	case "refused":
		return "refused", true
	}
	return "", false
}

func isMode(s string) bool {
	for _, m := range modes {
		if s == m {
			return true
		}
	}
	return false
}

// maxWait bounds a believable approval wait (a request lives a few days at
// most); anything beyond, negative, or not a number is ignored rather than
// skewing the histogram.
const maxWait = 30 * 24 * 3600.0

func waitSeconds(ms string) (float64, bool) {
	if ms == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(ms), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, false
	}
	s := v / 1000
	if s > maxWait {
		return 0, false
	}
	return s, true
}
