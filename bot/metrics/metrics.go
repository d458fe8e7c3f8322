// Package metrics exposes unlockbot's Prometheus series on /metrics.
//
// Why it is fed this way: the flow in bot/ carries no metrics code. Request
// outcomes, refusals, approval waits and step durations are read from the
// audit trail (Sink), so the dashboards count exactly what the trail says
// happened; directory and PSA latency come from thin wrappers around each
// org's directory and ticket system; audit sink health is read from the
// sinks at scrape time. docs/metrics.md lists every series.
package metrics

import (
	"errors"
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/unlockbot/unlockbot/bot"
)

const ns = "unlockbot"

// BuildInfo is what the binary was built from (set by the linker).
type BuildInfo struct {
	Version, Commit, Date string
}

// Buckets, in seconds. An approval waits for a person (seconds to an
// hour); a reset step is one directory or PSA round trip plus an audit
// flush (milliseconds to tens of seconds); one call to a directory or PSA
// is a millisecond on a LAN to a timeout of several seconds.
var (
	approvalBuckets = []float64{1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600}
	stepBuckets     = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	callBuckets     = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
)

// M holds the series. Its methods are safe for concurrent use.
type M struct {
	reg    prometheus.Registerer
	gather prometheus.Gatherer
	orgs   orgSet
	steps  *stepTracker
	sinks  *sinkCollector

	requests     *prometheus.CounterVec
	refusals     *prometheus.CounterVec
	events       *prometheus.CounterVec
	approvalWait *prometheus.HistogramVec
	stepSeconds  *prometheus.HistogramVec
	dirSeconds   *prometheus.HistogramVec
	dirErrors    *prometheus.CounterVec
	psaSeconds   *prometheus.HistogramVec
	psaErrors    *prometheus.CounterVec
}

// New registers unlockbot's series, with the Go runtime and process
// collectors, on reg. Handler serves what reg gathers, so reg is normally
// a *prometheus.Registry; nil makes a fresh one. A reg that cannot gather
// is served through prometheus.DefaultGatherer.
func New(reg prometheus.Registerer, b BuildInfo) *M {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &M{reg: reg, gather: prometheus.DefaultGatherer, steps: newStepTracker(time.Now), sinks: &sinkCollector{}}
	if g, ok := reg.(prometheus.Gatherer); ok {
		m.gather = g
	}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "requests_total",
		Help: "Requests that reached an end (completed, denied, expired, refused, failed), by org, platform and outcome."},
		[]string{"org", "platform", "outcome"})
	m.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "refusals_total",
		Help: "Refusals recorded in the audit trail, by reason (refusal code, submission check, or who may act)."},
		[]string{"reason"})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "audit_events_total",
		Help: "Audit events this process wrote, by event type."}, []string{"type"})
	m.approvalWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "approval_wait_seconds",
		Help: "Time from submission to an approver's decision (approve or deny).", Buckets: approvalBuckets}, []string{"org"})
	m.stepSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "reset_step_seconds",
		Help: "Duration of each step of a reset run in this process, and of the whole run (step=total).", Buckets: stepBuckets},
		[]string{"step"})
	m.dirSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "directory_call_seconds",
		Help: "Duration of calls to an org's directory, by operation.", Buckets: callBuckets}, []string{"org", "op"})
	m.dirErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "directory_errors_total",
		Help: "Directory calls that failed (not counting not-found answers or callers that gave up)."}, []string{"org", "op"})
	m.psaSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "psa_call_seconds",
		Help: "Duration of calls to an org's PSA, by operation.", Buckets: callBuckets}, []string{"org", "op"})
	m.psaErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "psa_errors_total",
		Help: "PSA calls that failed (not counting not-found answers or callers that gave up)."}, []string{"org", "op"})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "build_info",
		Help: "Always 1; its labels say which build is running."}, []string{"version", "commit", "date", "goversion"})
	build.WithLabelValues(orUnknown(b.Version), orUnknown(b.Commit), orUnknown(b.Date), runtime.Version()).Set(1)

	reg.MustRegister(m.requests, m.refusals, m.events, m.approvalWait, m.stepSeconds,
		m.dirSeconds, m.dirErrors, m.psaSeconds, m.psaErrors, build, m.sinks)
	// A registry that has them already (prometheus.DefaultRegisterer) keeps
	// its own.
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
			panic(err)
		}
	}
	return m
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// Handler serves the scrape.
func (m *M) Handler() http.Handler {
	return promhttp.HandlerFor(m.gather, promhttp.HandlerOpts{})
}

// KnownOrgs adds org ids from the config to the org label's values
// (WrapDirectory and WrapTickets add theirs); an event naming an org that
// is not known is counted under org="other".
func (m *M) KnownOrgs(ids ...string) {
	for _, id := range ids {
		m.addOrg(id)
	}
}

// addOrg makes org a label value, and its approval-wait series exist from
// the start (at zero), so the dashboard shows "none yet" rather than "no
// data".
func (m *M) addOrg(id string) {
	if id == "" {
		return
	}
	m.orgs.add(id)
	m.approvalWait.WithLabelValues(id)
}

// Gauge registers a gauge read from fn at every scrape: a depth or count
// that lives elsewhere (bot.Service.InFlight). name is the full metric
// name; fn must be cheap and safe to call concurrently.
func (m *M) Gauge(name, help string, fn func() float64) error {
	return m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}

// WatchSweeper exposes what the last sweep saw (bot.Service.LastSweep):
// the records it read are the due ones only, so a figure that climbs
// means requests are getting stuck, not that the store is growing.
func (m *M) WatchSweeper(last func() bot.SweepStats) error {
	return errors.Join(
		m.Gauge("unlockbot_sweep_requests_read", "Request records the last sweep read from the store.", func() float64 { return float64(last().Read) }),
		m.Gauge("unlockbot_sweep_requests_open", "Requests the last sweep found waiting for a person, a worker or a ticket update.", func() float64 { return float64(last().Open) }),
		m.Gauge("unlockbot_sweep_seconds", "How long the last sweep took.", func() float64 { return last().Took.Seconds() }),
	)
}
