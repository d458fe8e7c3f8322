package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// cmdServe runs the bot until the context ends.
func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	defaultLogFormat(cfg, logJSON)
	a, err := buildAppJobs(ctx, cfg, stderr, true)
	if err != nil {
		return err
	}
	defer a.Close()
	// go-redis logs dial failures on its own; route them through our
	// logger (and so through the redacting writer). Process-wide, so only
	// here.
	redis.SetLogger(redisLog{a.log})
	a.refreshTypeahead(ctx)
	// Expire undecided requests and resume resets whose worker died; every
	// replica may sweep, the compare-and-swap lets one act.
	go a.svc.RunSweeper(ctx, cfg.Recovery.SweepInterval)
	mux := http.NewServeMux()
	a.routes(mux)
	a.mountReadiness(ctx, mux, a.audit.watched...) // every audit sink the bot writes to
	stopAdapters, err := a.mountAdapters(ctx, mux, adapters)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: cfg.Listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 15 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- srv.ListenAndServe() }()
	if cfg.MetricsListen != "" {
		msrv := &http.Server{Addr: cfg.MetricsListen, Handler: a.metrics.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { errc <- fmt.Errorf("metrics_listen: %w", msrv.ListenAndServe()) }()
		defer msrv.Close()
	}
	if a.queue != nil {
		a.queue.Listen() // this replica's workers take jobs from now on
	}
	stopProfile, err := startProfile()
	if err != nil {
		return err
	}
	defer stopProfile()
	a.log.Info().Str("listen", cfg.Listen).Int("orgs", len(a.orgs)).Msg("unlockbot serving")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// One budget from SIGTERM on: what is still running when it ends goes
	// to another replica (a shared queue) or is dropped with the process.
	shut, cancel := context.WithTimeout(context.Background(), cfg.Recovery.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	// Transports first (no new work), then the work they started: resets
	// in progress, late answers, whichever adapter began them.
	return errors.Join(stopAdapters(shut), a.svc.Drain(shut), a.drainOutboxes(shut))
}

// routes mounts the liveness check: the process serves HTTP, nothing more
// (/readyz, the dependencies, is mountReadiness).
func (a *app) routes(mux *http.ServeMux) {
	if a.cfg.MetricsListen == "" {
		mux.Handle("GET /metrics", a.metrics.Handler())
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
}

// redisLog is go-redis's logger on ours.
type redisLog struct{ l zerolog.Logger }

func (r redisLog) Printf(_ context.Context, format string, v ...any) {
	r.l.Warn().Str("component", "redis").Msgf(format, v...)
}
