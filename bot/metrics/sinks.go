package metrics

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/unlockbot/unlockbot/audit"
)

// WatchSinks exposes the health of audit sinks, read from their Stats at
// every scrape, labelled by Name ("file", "redis-stream", "syslog"). Two
// sinks of the same name are told apart as "file", "file-2".
func (m *M) WatchSinks(sinks ...audit.Watched) { m.sinks.add(sinks...) }

var (
	sinkPending = prometheus.NewDesc(ns+"_audit_sink_pending",
		"Audit records the sink holds that its destination has not accepted yet.", []string{"sink"}, nil)
	sinkLag = prometheus.NewDesc(ns+"_audit_sink_lag_seconds",
		"Age of the oldest audit record the sink still holds; 0 when none.", []string{"sink"}, nil)
	sinkFailures = prometheus.NewDesc(ns+"_audit_sink_failures_total",
		"Writes to the sink's destination that failed (each retry counts).", []string{"sink"}, nil)
	sinkWritten = prometheus.NewDesc(ns+"_audit_sink_written_total",
		"Audit records the sink's destination accepted.", []string{"sink"}, nil)
)

type watched struct {
	name string
	w    audit.Watched
}

type sinkCollector struct {
	mu    sync.Mutex
	sinks []watched
}

func (c *sinkCollector) add(ws ...audit.Watched) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range ws {
		if w == nil {
			continue
		}
		name := w.Name()
		for n := 2; c.taken(name); n++ {
			name = w.Name() + "-" + strconv.Itoa(n)
		}
		c.sinks = append(c.sinks, watched{name, w})
	}
}

func (c *sinkCollector) taken(name string) bool {
	for _, s := range c.sinks {
		if s.name == name {
			return true
		}
	}
	return false
}

// Describe implements prometheus.Collector.
func (c *sinkCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{sinkPending, sinkLag, sinkFailures, sinkWritten} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *sinkCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	sinks := append([]watched(nil), c.sinks...)
	c.mu.Unlock()
	for _, s := range sinks {
		st := s.w.Stats()
		ch <- prometheus.MustNewConstMetric(sinkPending, prometheus.GaugeValue, float64(st.Pending), s.name)
		ch <- prometheus.MustNewConstMetric(sinkLag, prometheus.GaugeValue, st.Lag.Seconds(), s.name)
		ch <- prometheus.MustNewConstMetric(sinkFailures, prometheus.CounterValue, float64(st.Failures), s.name)
		ch <- prometheus.MustNewConstMetric(sinkWritten, prometheus.CounterValue, float64(st.Written), s.name)
	}
}
