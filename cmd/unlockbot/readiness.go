package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/bot"
)

// pinger is a dependency with a call cheap enough to make every few
// seconds: the Redis store (PING), an identity.Directory (a bind and a
// root DSE read), a PSA client (one authenticated GET).
type pinger interface {
	Ping(ctx context.Context) error
}

// mountReadiness starts the background checks and serves their answers at
// GET /readyz. sinks are the audit sinks the bot writes to; each that is
// an audit.Watched is checked.
func (a *app) mountReadiness(ctx context.Context, mux *http.ServeMux, sinks ...audit.Watched) {
	probes := append(a.storeProbes(), a.orgProbes()...)
	probes = append(probes, auditProbes(sinks...)...)
	r := newReadiness(probes, a.cfg.Health.Interval, a.cfg.Health.Timeout, a.log)
	go r.Run(ctx)
	mux.Handle("GET /readyz", r)
}

func (a *app) storeProbes() []probe {
	p := probe{name: "store", target: "the embedded in-memory store", run: func(context.Context) error { return nil }}
	if pg, ok := a.store.(pinger); ok {
		p.target, p.run = "Redis", pg.Ping
		if u, err := a.cfg.redisURL(); err == nil {
			if pu, err := url.Parse(u.Reveal()); err == nil && pu.Host != "" {
				p.target = "Redis at " + pu.Host // the host only: the URL may hold a password
			}
		}
	}
	return []probe{p}
}

// orgProbes checks each org's directory and ticket system.
func (a *app) orgProbes() []probe {
	var out []probe
	for _, o := range a.orgs {
		oc := a.orgConfig(o.ID)
		out = append(out, probe{name: "org " + o.ID + " directory", target: directoryTarget(oc), run: o.Directory.Ping})
		out = append(out, psaProbe(o, oc))
	}
	return out
}

func (a *app) orgConfig(id string) OrgConfig {
	for _, oc := range a.cfg.Orgs {
		if oc.ID == id {
			return oc
		}
	}
	return OrgConfig{ID: id}
}

func directoryTarget(oc OrgConfig) string {
	if oc.Directory.Kind == "demo" || oc.Directory.URL == "" {
		return "the demo directory"
	}
	if u, err := url.Parse(oc.Directory.URL); err == nil && u.Host != "" {
		return u.Scheme + "://" + u.Host
	}
	return "the directory"
}

func psaProbe(o *bot.Org, oc OrgConfig) probe {
	kind := oc.PSA.Kind
	if kind == "" {
		kind = "local"
	}
	p := probe{name: "org " + o.ID + " psa", target: "the " + kind + " ticket system"}
	none := func(context.Context) error {
		return notChecked("the " + kind + " ticket system has no cheap call to make every few seconds; `unlockbot check` tests it")
	}
	p.run = none
	if pg, ok := o.Tickets.(pinger); ok {
		p.run = func(ctx context.Context) error {
			if err := pg.Ping(ctx); !errors.Is(err, errors.ErrUnsupported) {
				return err
			}
			return none(ctx)
		}
	}
	return p
}

// auditProbes checks each sink that can say how it is doing.
func auditProbes(sinks ...audit.Watched) []probe {
	var out []probe
	for _, w := range sinks {
		name := w.Name()
		out = append(out, probe{name: "audit " + name, target: "the audit " + strings.ReplaceAll(name, "-", " "), run: w.Check})
	}
	return out
}
