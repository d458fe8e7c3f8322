package metrics_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/bot/metrics"
)

func newM(t *testing.T) (*metrics.M, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, metrics.BuildInfo{})
	m.KnownOrgs("acme")
	return m, reg
}

func gather(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	fs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range fs {
		out[f.GetName()] = f
	}
	return out
}

func histSum(fams map[string]*dto.MetricFamily, name string, want L) float64 {
	m := find(fams, name, want)
	if m == nil || m.Histogram == nil {
		return -1
	}
	return m.Histogram.GetSampleSum()
}

func feed(m *metrics.M, es ...audit.Event) {
	for _, e := range es {
		_ = m.Sink().Append(context.Background(), e)
	}
}

func TestStepDurations(t *testing.T) {
	m, reg := newM(t)
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ev := func(id, typ string, ms int) audit.Event {
		return audit.Event{Time: at(ms), Type: typ, RequestID: id, Org: "acme", Actor: "system"}
	}
	feed(m,
		ev("r1", "request.approved", 0),
		ev("r1", "reset.write_started", 1000),
		ev("r2", "request.approved", 1100), // another run meanwhile
		ev("r1", "reset.password_set", 1500),
		ev("r1", "reset.verified", 1700),
		ev("r1", "ticket.created", 2000),
		ev("r1", "reset.completed", 2100),
		// r2 fails once and is retried: the retry is timed from the retry.
		ev("r2", "reset.write_started", 1600),
		ev("r2", "reset.failed", 1800),
		ev("r2", "request.retried", 60000),
		ev("r2", "reset.write_started", 60250),
	)
	fams := gather(t, reg)
	for step, want := range map[string]float64{"prepare": 1 + .5 + .25, "write": .5, "verify": .2, "ticket_create": .3, "finish": .1, "total": 2.1} {
		if got := histSum(fams, "unlockbot_reset_step_seconds", L{"step": step}); math.Abs(got-want) > 1e-9 {
			t.Errorf("step %s: %v s, want %v", step, got, want)
		}
	}
	if got := sum(fams, "unlockbot_reset_step_seconds", L{"step": "prepare"}); got != 3 {
		t.Errorf("prepare observed %v times, want 3", got)
	}
	if n := metrics.StepsTracked(m); n != 1 {
		t.Errorf("%d runs tracked, want 1 (r2, still running)", n)
	}
}

func TestStepTrackerBounded(t *testing.T) {
	m, reg := newM(t)
	wall := time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)
	metrics.SetClock(m, func() time.Time { return wall })
	for i := range 10001 {
		feed(m, audit.Event{Time: wall, Type: "request.approved", RequestID: fmt.Sprintf("r%d", i)})
	}
	if n := metrics.StepsTracked(m); n != 10000 {
		t.Fatalf("%d runs tracked, want the cap of 10000", n)
	}
	wall = wall.Add(11 * time.Minute)
	// r0 went silent past the TTL: its next step is not timed from 11
	// minutes ago.
	feed(m, audit.Event{Time: wall, Type: "reset.write_started", RequestID: "r0"})
	if got := sum(gather(t, reg), "unlockbot_reset_step_seconds", L{"step": "prepare"}); got > 0 {
		t.Errorf("a forgotten run was timed (%v observations)", got)
	}
	if n := metrics.StepsTracked(m); n != 1 {
		t.Errorf("%d runs tracked after the TTL, want 1 (the others forgotten)", n)
	}
}

func TestApprovalWait(t *testing.T) {
	m, reg := newM(t)
	for _, ms := range []string{"90000", " 1500 ", "-1", "NaN", "+Inf", "abc", "1e20", "", "0x10"} {
		feed(m, audit.Event{Type: "request.approved", Org: "acme", RequestID: "r1", Detail: map[string]string{"wait_ms": ms}})
	}
	feed(m, audit.Event{Type: "request.denied", Org: "acme", RequestID: "r2", Detail: map[string]string{"wait_ms": "500"}})
	feed(m, audit.Event{Type: "request.approved", Org: "acme", RequestID: "r3"}) // no wait_ms (auto-approved)
	fams := gather(t, reg)
	if got := sum(fams, "unlockbot_approval_wait_seconds", L{"org": "acme"}); got != 3 {
		t.Errorf("%v waits observed, want 3 (90 s, 1.5 s, 0.5 s; the rest are not numbers of ms)", got)
	}
	if got := histSum(fams, "unlockbot_approval_wait_seconds", L{"org": "acme"}); got != 92 {
		t.Errorf("waits sum to %v s, want 92", got)
	}
}

// TestLabelsBounded: a value outside the closed lists is counted as
// "other", never as itself.
func TestLabelsBounded(t *testing.T) {
	m, reg := newM(t)
	feed(m,
		audit.Event{Type: "request.made_up", Org: "acme"},
		audit.Event{Type: "request.refused", Org: "forged-org-1", Actor: "irc:mallory", Detail: map[string]string{"why": "Some sentence naming alice"}},
		audit.Event{Type: "reset.refused", Org: "acme", Platform: "slack", Detail: map[string]string{"code": "made_up_code"}},
		audit.Event{Type: "request.decision_refused", Org: "acme", Actor: "teams:t1:u1"},
	)
	fams := gather(t, reg)
	for _, c := range []struct {
		name string
		l    L
		want float64
	}{
		{"unlockbot_audit_events_total", L{"type": "other"}, 1},
		{"unlockbot_requests_total", L{"org": "other", "platform": "other", "outcome": "refused"}, 1},
		{"unlockbot_requests_total", L{"org": "acme", "platform": "slack", "outcome": "refused"}, 1},
		{"unlockbot_refusals_total", L{"reason": "other"}, 2},
		{"unlockbot_refusals_total", L{"reason": "not_allowed_to_decide"}, 1},
	} {
		if got := sum(fams, c.name, c.l); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.l, got, c.want)
		}
	}
	for name, f := range fams {
		for _, mt := range f.Metric {
			for _, l := range mt.Label {
				if v := l.GetValue(); v == "request.made_up" || v == "forged-org-1" || v == "irc" || v == "made_up_code" {
					t.Errorf("%s{%s=%q}: an unlisted value became a label", name, l.GetName(), v)
				}
			}
		}
	}
}

func TestSinkStatsAtScrape(t *testing.T) {
	m, reg := newM(t)
	a, b := &fakeWatched{name: "file"}, &fakeWatched{name: "file"}
	m.WatchSinks(a, b, nil)
	a.mu.Lock()
	a.stats = audit.SinkStats{Pending: 7, Lag: 1500 * time.Millisecond, Failures: 2, Written: 10}
	a.mu.Unlock()
	fams := gather(t, reg)
	if got := sum(fams, "unlockbot_audit_sink_lag_seconds", L{"sink": "file"}); got != 1.5 {
		t.Errorf("lag %v, want 1.5 s read at scrape time", got)
	}
	if got := sum(fams, "unlockbot_audit_sink_pending", L{"sink": "file-2"}); got != 0 {
		t.Errorf("second sink named file: pending %v, want it as file-2 with 0", got)
	}
	if got := sum(fams, "unlockbot_audit_sink_written_total", L{}); got != 10 {
		t.Errorf("written %v, want 10", got)
	}
}

func TestNewOnDefaultRegistry(t *testing.T) {
	// The default registry has the Go and process collectors already; New
	// must not fail on them. A second M on it is a wiring bug.
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector())
	metrics.New(reg, metrics.BuildInfo{})
	defer func() {
		if recover() == nil {
			t.Error("a second New on one registry did not panic")
		}
	}()
	metrics.New(reg, metrics.BuildInfo{})
}
