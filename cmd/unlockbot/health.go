package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"
)

// probe is one dependency /readyz reports on.
type probe struct {
	name   string // "store", "org acme directory", "org acme psa", "audit file"
	target string // what is reached, for the timeout sentence: "Redis at 10.0.0.5:6379"
	run    func(ctx context.Context) error
}

// notChecked is what a probe returns when its dependency has no call cheap
// enough to make every few seconds: /readyz says so instead of claiming ok.
type notChecked string

func (n notChecked) Error() string { return string(n) }

// Probe states.
const (
	probeOK         = "ok"
	probeFailing    = "failing"
	probeNotChecked = "not checked"
)

type probeResult struct {
	state string
	why   string // one sentence; empty when ok
}

func (r probeResult) line(name string) string {
	if r.why == "" {
		return name + " " + r.state
	}
	return name + " " + r.state + ": " + r.why
}

// readiness runs every probe in the background and keeps the last answers,
// so /readyz answers at once and a dependency that hangs delays nothing:
// each probe has its own deadline, and one still stuck from an earlier
// round is reported, not started again.
type readiness struct {
	probes  []probe
	every   time.Duration
	timeout time.Duration
	log     zerolog.Logger

	busy    []atomic.Bool // probe i still running (it ignored its deadline)
	mu      sync.RWMutex
	results []probeResult
	started []time.Time // when probe i's current run began
	done    bool        // the first round is complete
}

func newReadiness(probes []probe, every, timeout time.Duration, log zerolog.Logger) *readiness {
	return &readiness{probes: probes, every: every, timeout: timeout, log: log,
		busy: make([]atomic.Bool, len(probes)), results: make([]probeResult, len(probes)), started: make([]time.Time, len(probes))}
}

// Run probes now and then every interval until ctx ends.
func (r *readiness) Run(ctx context.Context) {
	r.round(ctx)
	r.mu.Lock()
	r.done = true
	r.mu.Unlock()
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.round(ctx)
		}
	}
}

// round runs every probe at once and returns when each has answered or
// passed its deadline.
func (r *readiness) round(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range r.probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.set(i, r.one(ctx, i))
		}()
	}
	wg.Wait()
}

func (r *readiness) one(ctx context.Context, i int) probeResult {
	p := r.probes[i]
	if !r.busy[i].CompareAndSwap(false, true) {
		r.mu.RLock()
		since := time.Since(r.started[i]).Round(time.Second)
		r.mu.RUnlock()
		return probeResult{probeFailing, fmt.Sprintf("cannot reach %s (no answer for %s)", p.target, since)}
	}
	r.mu.Lock()
	r.started[i] = time.Now()
	r.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer r.busy[i].Store(false)
		done <- p.run(cctx)
	}()
	var err error
	select {
	case err = <-done:
	case <-cctx.Done():
		err = cctx.Err()
	}
	var nc notChecked
	switch {
	case err == nil:
		return probeResult{state: probeOK}
	case errors.As(err, &nc):
		return probeResult{probeNotChecked, nc.Error()}
	case errors.Is(err, context.DeadlineExceeded) || cctx.Err() != nil:
		return probeResult{probeFailing, fmt.Sprintf("cannot reach %s (timeout after %s)", p.target, r.timeout)}
	}
	r.log.Debug().Str("check", p.name).Err(err).Msg("readiness check failed")
	return probeResult{probeFailing, oneSentence(operatorMessage(err))}
}

// set stores a result and logs each change of state, with the whole
// error chain in the log and the short sentence in /readyz.
func (r *readiness) set(i int, res probeResult) {
	r.mu.Lock()
	prev := r.results[i]
	r.results[i] = res
	r.mu.Unlock()
	if prev.state == res.state {
		return
	}
	ev := r.log.Info()
	if res.state == probeFailing {
		ev = r.log.Warn().Str("problem", res.why)
	}
	ev.Str("check", r.probes[i].name).Str("state", res.state).Msg("readiness changed")
}

// ServeHTTP is /readyz: 200 when no probe fails, else 503; the body lists
// every probe. Until the first round is done it says "starting" (503).
func (r *readiness) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	r.mu.RLock()
	done := r.done
	var b strings.Builder
	failing := 0
	for i, p := range r.probes {
		res := r.results[i]
		if res.state == "" {
			continue // not answered yet
		}
		if res.state == probeFailing {
			failing++
		}
		b.WriteString(res.line(p.name))
		b.WriteByte('\n')
	}
	r.mu.RUnlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	head, code := "ready\n", http.StatusOK
	switch {
	case !done:
		head, code = "starting\n", http.StatusServiceUnavailable
	case failing > 0:
		head, code = fmt.Sprintf("not ready: %d failing\n", failing), http.StatusServiceUnavailable
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, head+b.String())
}

// oneSentence keeps a probe's answer on one short line of the body.
func oneSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		cut := 297
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}
