package metrics_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/metrics"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/identity/memory"
	"github.com/unlockbot/unlockbot/identity/typeahead"
	"github.com/unlockbot/unlockbot/psa/local"
)

// recorder keeps every event, to check what never becomes a label.
type recorder struct {
	mu     sync.Mutex
	events []audit.Event
}

func (r *recorder) Write(_ context.Context, e audit.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return nil
}

// tee hands each event to the recorder and the metrics sink, as the
// production fan-out will.
type tee struct {
	rec *recorder
	m   audit.Appender
}

func (t tee) Write(ctx context.Context, e audit.Event) error {
	_ = t.rec.Write(ctx, e)
	return t.m.Write(ctx, e)
}

func (t tee) Append(ctx context.Context, e audit.Event) error {
	_ = t.rec.Write(ctx, e)
	return t.m.Append(ctx, e)
}

// quiet is a chat platform that takes every message.
type quiet struct{}

func (quiet) PostApproval(_ context.Context, ch string, _ bot.Card) (bot.MessageRef, error) {
	return bot.MessageRef{Channel: ch, ID: "m1"}, nil
}
func (quiet) UpdateApproval(context.Context, bot.MessageRef, bot.Card) error { return nil }
func (quiet) ReplyInThread(context.Context, bot.MessageRef, bot.Card) error  { return nil }
func (quiet) Notify(context.Context, bot.Actor, bot.Card) error              { return nil }
func (quiet) Whisper(context.Context, string, bot.Actor, string) error       { return nil }

var (
	dana = bot.Actor{Platform: "demo", ID: "dana", Name: "Dana"}
	lee  = bot.Actor{Platform: "demo", ID: "lee", Name: "Lee"}
	eve  = bot.Actor{Platform: "demo", ID: "eve", Name: "Eve"}
)

// run is a real flow against the demo directory and local tickets, both
// wrapped, with the metrics sink in the audit fan-out: a completed reset
// (alice), a denied one (bob), one refused at execution because the
// account became privileged while it waited (carol), one refused in the
// form (dadmin, privileged) and a form refused to a non-technician (eve).
type run struct {
	m      *metrics.M
	reg    *prometheus.Registry
	rec    *recorder
	ids    []string // request ids
	sinkOK *fakeWatched
}

func runFlow(t *testing.T) *run {
	t.Helper()
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, metrics.BuildInfo{Version: "1.2.3", Commit: "abc1234", Date: "2025-01-02"})
	rec := &recorder{}
	st := memstore.New()
	sealer := bot.NewEphemeralSealer()
	dir := memory.Demo()
	tickets := local.New(store.Values{Store: st}, "acme", sealer.SealBytes)
	org := &bot.Org{
		ID: "acme", Name: "Acme Corp",
		Directory: typeahead.Wrap(m.WrapDirectory("acme", dir), 0, zerolog.Nop()),
		Tickets:   m.WrapTickets("acme", tickets), PSACompanyID: "acme",
		Policy:          bot.Policy{RequireApproval: true},
		Technicians:     []string{"demo:dana"},
		Approvers:       []string{"demo:lee"},
		Channels:        []string{"demo:#acme-helpdesk"},
		ApprovalChannel: map[string]string{"demo": "#acme-approvals"},
	}
	svc, err := bot.New(bot.Config{Store: st, Sealer: sealer, Audit: tee{rec, m.Sink()}, Orgs: []*bot.Org{org}, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	svc.SetNotifier("demo", quiet{})
	r := &run{m: m, reg: reg, rec: rec, sinkOK: &fakeWatched{name: "file", stats: audit.SinkStats{Written: 42, Failures: 1, Pending: 3}}}
	m.WatchSinks(r.sinkOK)
	if err := m.Gauge("unlockbot_jobs_running", "Jobs and detached work running on this process.", func() float64 { return float64(svc.InFlight()) }); err != nil {
		t.Fatal(err)
	}
	if err := m.WatchSweeper(svc.LastSweep); err != nil {
		t.Fatal(err)
	}

	submit := func(account string) *bot.Request {
		t.Helper()
		req, err := svc.Submit(ctx, bot.Submission{Requester: dana, OrgID: "acme", Account: account, Temporary: true,
			Reason: "verified by call-back", Origin: "#acme-helpdesk"})
		if err != nil {
			t.Fatalf("submit %s: %v", account, err)
		}
		r.ids = append(r.ids, req.ID)
		return req
	}
	alice := submit("alice")
	if got, err := svc.Approve(ctx, alice.ID, lee); err != nil || got.State != bot.StateDone {
		t.Fatalf("approve alice: %v (%v)", err, got)
	}
	bob := submit("bob")
	if _, err := svc.Deny(ctx, bob.ID, lee, "call back first"); err != nil {
		t.Fatalf("deny bob: %v", err)
	}
	carol := submit("carol")
	u, _ := dir.User("carol")
	u.ProtectedGroups = []string{"Domain Admins"}
	dir.Put(u)
	if _, err := svc.Approve(ctx, carol.ID, lee); bot.KindOf(err) != bot.KindForbidden {
		t.Fatalf("approve carol after she became an admin: %v, want a refusal", err)
	}
	if _, err := svc.Submit(ctx, bot.Submission{Requester: dana, OrgID: "acme", Account: "dadmin", Reason: "verified by call-back"}); err == nil {
		t.Fatal("dadmin was accepted")
	}
	if _, err := svc.NewForm(ctx, eve, "#acme-helpdesk", "alice"); err == nil {
		t.Fatal("eve got a form")
	}
	if err := svc.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	return r
}

// scrape fetches /metrics through the Handler and parses it.
func scrape(t *testing.T, m *metrics.M) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("scrape: %s\n%s", resp.Status, body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse scrape: %v\n%s", err, body)
	}
	return fams, string(body)
}

type fakeWatched struct {
	name  string
	mu    sync.Mutex
	stats audit.SinkStats
}

func (f *fakeWatched) Name() string                    { return f.name }
func (f *fakeWatched) Check(ctx context.Context) error { return nil }
func (f *fakeWatched) Stats() audit.SinkStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}
