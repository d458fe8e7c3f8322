package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/jobqueue"
	"github.com/unlockbot/unlockbot/bot/mailer"
	"github.com/unlockbot/unlockbot/bot/metrics"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/bot/store/redisstore"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
	"github.com/unlockbot/unlockbot/identity/typeahead"
)

// app is everything serve, check and reset share. Building it is the
// same code in production and in end-to-end tests.
type app struct {
	cfg   *Config
	log   zerolog.Logger
	store store.Store
	audit *trail
	// metrics are fed by the trail and by timed wrappers around each
	// org's directory and ticket system; served on /metrics.
	metrics *metrics.M
	svc     *bot.Service
	orgs    []*bot.Org
	// outboxes are the adapters' chat messages still queued behind a
	// channel's rate limit; serve drains them after the service's work.
	outboxes []func(context.Context) error
	// queue runs approvals for every replica (serve with Redis only);
	// nil: they run on this process.
	queue *jobqueue.Queue
}

// drainWait bounds how long a command waits for its detached work.
const drainWait = 10 * time.Second

// drain waits for what a command's reset left running (its clean-ups,
// which it answered without waiting for), before the store closes; serve
// drains within its own shutdown grace instead.
func (a *app) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), drainWait)
	defer cancel()
	_ = a.svc.Drain(ctx)
}

func (a *app) Close() {
	if a.audit != nil {
		_ = a.audit.Close()
	}
	if a.store != nil {
		_ = a.store.Close()
	}
}

// parseFlags parses a command's flags and loads the config named by
// --config, falling back to UNLOCKBOT_CONFIG.
func parseFlags(fs *flag.FlagSet, args []string) (*Config, error) {
	p := fs.String("config", os.Getenv("UNLOCKBOT_CONFIG"), "config file (or UNLOCKBOT_CONFIG)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if *p == "" {
		return nil, fmt.Errorf("no config: pass --config FILE or set UNLOCKBOT_CONFIG (see docs/unlockbot.example.yaml)")
	}
	return LoadConfig(*p)
}

// buildApp wires config into a running service whose jobs run on this
// process (the CLI, the in-process tests).
func buildApp(ctx context.Context, cfg *Config, logw io.Writer) (*app, error) {
	return buildAppJobs(ctx, cfg, logw, false)
}

// buildAppJobs is buildApp; with shared, and Redis configured, approvals
// go through the job queue every replica reads (serve).
func buildAppJobs(ctx context.Context, cfg *Config, logw io.Writer, shared bool) (*app, error) {
	a := &app{cfg: cfg, log: newLogger(cfg.LogLevel, cfg.LogFormat, logw)}
	var sealer *bot.Sealer
	for _, w := range cfg.Warnings() {
		a.log.Warn().Msg(w)
	}
	if !cfg.usesRedis() {
		a.store = memstore.New()
		sealer = bot.NewEphemeralSealer()
		a.log.Warn().Msg("no redis_url or redis block: using the embedded in-memory store; run ONE replica only, state is lost on restart")
	} else {
		key, err := cfg.SealKey()
		if err != nil {
			return nil, err
		}
		if sealer, err = bot.NewSealer(key); err != nil {
			return nil, err
		}
		rs, err := cfg.redisStore()
		if err != nil {
			return nil, err
		}
		a.store = rs
	}
	var rc redis.UniversalClient
	if rs, ok := a.store.(*redisstore.Store); ok {
		rc = rs.Client()
	}
	a.metrics = metrics.New(prometheus.NewRegistry(), buildInfo())
	tr, err := openTrail(cfg, rc, a.log, a.metrics.Sink())
	if err != nil {
		a.Close()
		return nil, err
	}
	a.audit = tr
	a.metrics.WatchSinks(tr.watched...)
	owner := typeaheadOwner()
	for _, oc := range cfg.Orgs {
		dir, err := newDirectory(oc)
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("org %s: %w", oc.ID, err)
		}
		// Timed inside the snapshot, so its refreshes are timed too.
		dir = typeahead.WrapWith(a.metrics.WrapDirectory(oc.ID, dir), a.typeaheadOptions(oc, dir, owner), a.log.With().Str("org", oc.ID).Logger())
		tickets, err := newTickets(oc, ticketDeps{store: a.store, seal: sealer.SealBytes, log: a.log.With().Str("org", oc.ID).Logger()})
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("org %s: %w", oc.ID, err)
		}
		tickets = a.metrics.WrapTickets(oc.ID, tickets)
		req := *oc.Policy.RequireApproval
		o := &bot.Org{
			ID: oc.ID, Name: oc.Name, Directory: dir,
			Tickets:      tickets,
			PSACompanyID: oc.PSA.CompanyID, MaxConcurrentWrites: oc.Directory.MaxConcurrentResets,
			Policy: bot.Policy{
				RequireApproval: req, MinPasswordLength: oc.Policy.MinPasswordLength,
				MaxResetsPerAccountPerDay: oc.Policy.MaxResetsPerAccountPerDay, ApprovalTTL: oc.Policy.ApprovalTTL,
				GeneratedLength: oc.Policy.GeneratedLength, PassphraseWords: oc.Policy.PassphraseWords,
				TicketRetryFor: oc.Policy.TicketRetryFor, NotifyOwner: oc.Policy.NotifyOwner.policy(),
				LockMode: identity.LockMode(oc.Policy.LockMode),
				Verify:   oc.verifyPolicy(), SelfService: oc.Policy.SelfService.policy(),
			},
		}
		if o.Policy, err = passwordPolicy(o.Policy, oc); err != nil {
			a.Close()
			return nil, fmt.Errorf("org %s: %w", oc.ID, err)
		}
		bind(o, bindingsOf(platforms, cfg, oc))
		a.orgs = append(a.orgs, o)
	}
	m, err := cfg.SMTP.mailer()
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("smtp: %w", err)
	}
	texts, err := cfg.SMS.sender()
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("sms: %w", err)
	}
	var jobs bot.Jobs
	if rs, ok := a.store.(*redisstore.Store); ok && shared {
		if a.queue, err = a.jobQueue(rs); err != nil {
			a.Close()
			return nil, err
		}
		jobs = a.queue
	}
	a.svc, err = bot.New(bot.Config{Store: a.store, Sealer: sealer, Audit: a.audit.sink, Orgs: a.orgs, Log: a.log, Jobs: jobs, Mailer: mailerOrNil(m), SMS: texts,
		Lease: cfg.Recovery.Lease, TicketRetryFirst: cfg.Recovery.TicketRetryFirst,
		Limits: bot.Limits{OpenPerTechnician: cfg.Limits.TechnicianOpenRequests, PerTechnicianPerHour: cfg.Limits.TechnicianRequestsPerHour,
			Burst: bot.Burst{Technician: max(cfg.Limits.Burst.Technician, 0), Org: max(cfg.Limits.Burst.Org, 0), Window: cfg.Limits.Burst.Window}}})
	if err != nil {
		a.Close()
		return nil, err
	}
	if err := errors.Join(a.metrics.Gauge("unlockbot_jobs_running", "Jobs and detached work running on this process.",
		func() float64 { return float64(a.svc.InFlight()) }), a.metrics.WatchSweeper(a.svc.LastSweep), a.watchQueue()); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// mailerOrNil keeps a nil *mailer.Mailer from becoming a non-nil bot.Mailer.
func mailerOrNil(m *mailer.Mailer) bot.Mailer {
	if m == nil {
		return nil
	}
	return m
}

// refresher is a directory that keeps a snapshot fresh in the background
// (identity/typeahead).
type refresher interface{ Run(ctx context.Context) }

// refreshTypeahead keeps each org's account-picker snapshot fresh until ctx
// ends (serve only: the CLI never searches).
func (a *app) refreshTypeahead(ctx context.Context) {
	for _, o := range a.orgs {
		if r, ok := o.Directory.(refresher); ok {
			go r.Run(ctx)
		}
	}
}

// demoDirectory lets a config use the built-in demo directory (kind: demo).
var demoDirectory = memory.Demo
