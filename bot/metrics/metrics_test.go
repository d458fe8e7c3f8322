package metrics_test

import (
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// find returns the metric of family name whose labels include want.
func find(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

// sum adds the value (counters, gauges) or sample count (histograms) of
// every metric of name whose labels include want.
func sum(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
	total := 0.0
next:
	for _, m := range f.Metric {
		for _, l := range m.Label {
			if v, ok := want[l.GetName()]; ok && v != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total
}

type L = map[string]string

func TestFlowSeries(t *testing.T) {
	r := runFlow(t)
	fams, _ := scrape(t, r.m)
	for _, c := range []struct {
		name   string
		labels L
		want   float64
	}{
		{"unlockbot_requests_total", L{"org": "acme", "outcome": "completed", "platform": "demo"}, 1},
		{"unlockbot_requests_total", L{"org": "acme", "outcome": "denied", "platform": "demo"}, 1},
		// carol (refused at execution) and dadmin (refused in the form)
		{"unlockbot_requests_total", L{"org": "acme", "outcome": "refused"}, 2},
		{"unlockbot_requests_total", L{"org": "none", "outcome": "refused", "platform": "demo"}, 1}, // eve, no org
		{"unlockbot_requests_total", L{}, 5},
		{"unlockbot_refusals_total", L{"reason": "protected_group"}, 1},
		{"unlockbot_refusals_total", L{"reason": "not_technician"}, 1},
		{"unlockbot_refusals_total", L{"reason": "invalid_account"}, 1}, // dadmin: the guard, in the form
		{"unlockbot_refusals_total", L{"reason": "other"}, 0},
		{"unlockbot_refusals_total", L{}, 3},
		{"unlockbot_audit_events_total", L{"type": "request.submitted"}, 3},
		{"unlockbot_audit_events_total", L{"type": "request.approved"}, 2},
		{"unlockbot_audit_events_total", L{"type": "reset.completed"}, 1},
		{"unlockbot_audit_events_total", L{"type": "other"}, 0},
		{"unlockbot_reset_step_seconds", L{"step": "prepare"}, 1},
		{"unlockbot_reset_step_seconds", L{"step": "write"}, 1},
		{"unlockbot_reset_step_seconds", L{"step": "verify"}, 1},
		{"unlockbot_reset_step_seconds", L{"step": "ticket_create"}, 1},
		{"unlockbot_reset_step_seconds", L{"step": "ticket_note"}, 1},
		{"unlockbot_reset_step_seconds", L{"step": "ticket_resolve"}, 1},
		{"unlockbot_reset_step_seconds", L{"step": "finish"}, 1},
		{"unlockbot_reset_step_seconds", L{"step": "total"}, 1},
		{"unlockbot_directory_call_seconds", L{"org": "acme", "op": "set_password"}, 1},
		{"unlockbot_directory_call_seconds", L{"org": "acme", "op": "unlock"}, 0},
		{"unlockbot_directory_call_seconds", L{"org": "acme", "op": "all"}, 0},
		{"unlockbot_directory_errors_total", L{"org": "acme"}, 0},
		{"unlockbot_psa_call_seconds", L{"org": "acme", "op": "create"}, 1},
		{"unlockbot_psa_errors_total", L{"org": "acme", "op": "create"}, 0},
		{"unlockbot_audit_sink_pending", L{"sink": "file"}, 3},
		{"unlockbot_audit_sink_lag_seconds", L{"sink": "file"}, 0},
		{"unlockbot_audit_sink_failures_total", L{"sink": "file"}, 1},
		{"unlockbot_audit_sink_written_total", L{"sink": "file"}, 42},
		{"unlockbot_build_info", L{"version": "1.2.3", "commit": "abc1234", "date": "2025-01-02", "goversion": runtime.Version()}, 1},
		{"unlockbot_jobs_running", L{}, 0},
		{"unlockbot_sweep_requests_read", L{}, 0}, // alice, bob, carol: finished, not in the due-set
		{"unlockbot_sweep_requests_open", L{}, 0},
	} {
		if got := sum(fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Lookups: alice, bob, carol, dadmin at submit, alice and carol again
	// before their run.
	if got := sum(fams, "unlockbot_directory_call_seconds", L{"op": "lookup"}); got < 6 {
		t.Errorf("lookups timed: %v, want at least 6", got)
	}
	// The bot writes wait_ms on decisions (approve, deny); each one it
	// wrote is a wait observed.
	waits := 0.0
	for _, e := range r.rec.events {
		if (e.Type == "request.approved" || e.Type == "request.denied") && e.Detail["wait_ms"] != "" {
			waits++
		}
	}
	if got := sum(fams, "unlockbot_approval_wait_seconds", L{"org": "acme"}); got != waits {
		t.Errorf("%v approval waits observed, want %v (one per decision carrying wait_ms)", got, waits)
	}
	if find(fams, "go_goroutines", nil) == nil {
		t.Error("no Go runtime series")
	}
	if runtime.GOOS == "linux" && find(fams, "process_resident_memory_bytes", nil) == nil {
		t.Error("no process series")
	}
	for _, m := range fams["unlockbot_requests_total"].Metric {
		for _, l := range m.Label {
			if l.GetName() == "platform" && l.GetValue() != "demo" && l.GetValue() != "unknown" {
				t.Errorf("platform %q, want demo or unknown (the bot's own steps)", l.GetValue())
			}
		}
	}
}

// TestNoPersonalLabels: no label value names an account, request, person
// or ticket the events named.
func TestNoPersonalLabels(t *testing.T) {
	r := runFlow(t)
	fams, _ := scrape(t, r.m)
	bad := map[string]bool{"dana": true, "lee": true, "eve": true}
	for _, id := range r.ids {
		bad[id] = true
	}
	for _, e := range r.rec.events {
		for _, v := range []string{e.RequestID, e.Actor, e.ActorName, e.Target, e.TargetDN, e.Ticket, e.Link} {
			if v != "" && v != "system" {
				bad[v] = true
			}
		}
	}
	if len(r.rec.events) < 15 || !bad["alice"] || !bad["carol"] {
		t.Fatalf("the flow recorded %d events, naming %v: too few to check", len(r.rec.events), keys(bad))
	}
	for name, f := range fams {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				for b := range bad {
					if v := l.GetValue(); v == b || (len(b) >= 3 && strings.Contains(v, b)) {
						t.Errorf("%s{%s=%q} names %q from the trail", name, l.GetName(), v, b)
					}
				}
			}
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestPromtool lints the scrape as Prometheus would. promtool comes with
// Debian's prometheus package (.ci/tools.sh installs it).
func TestPromtool(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is not installed: run bash .ci/tools.sh")
		}
		t.Skip("promtool is not installed; run bash .ci/tools.sh to lint the scrape")
	}
	r := runFlow(t)
	_, body := scrape(t, r.m)
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
