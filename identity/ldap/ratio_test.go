package ldap_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
	"github.com/unlockbot/unlockbot/psa/local"
)

// TestServiceVsRawReset measures the shared reset service against the raw
// floor (UNLOCKBOT_BENCH_RATIO=1; UNLOCKBOT_BENCH_ROUNDS, default 20),
// alternating one round of each on the same account locked for real before
// every round, so Samba's drift between runs falls on all alike. The floor
// is ldap.RawADReset on the bot's connection plus the bind as the user on a
// connection kept for it, as the Directory keeps its proof connections.
//
// The service rounds are what `unlockbot reset` does (lookup with the
// guard, policy, the daily limit, unlock, set password, read back and bind
// as the user, a local ticket created, noted and resolved, the audit trail
// fsynced where the flow needs it): on the in-memory store, on the same
// with the trail written to nothing (what the fsyncs cost), and on the real
// Redis the product runs on. A last round is the chat path on Redis: the
// request submitted outside the timer, then the approver's click to done
// (the approval flushed, the account read again, the reset). Each kind is
// given as the ratio of its median to the floor's and as the median of
// its rounds' own ratios (pairedRatio). It reports; it asserts no speed.
func TestServiceVsRawReset(t *testing.T) {
	if os.Getenv("UNLOCKBOT_BENCH_RATIO") != "1" {
		t.Skip("set UNLOCKBOT_BENCH_RATIO=1 to measure the service against the raw floor")
	}
	rounds := 20
	if n, err := strconv.Atoi(os.Getenv("UNLOCKBOT_BENCH_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	s := ldaptest.AD(t)
	dn := s.DN(t, "carol")
	t.Cleanup(func() { s.Restore(t, dn) })
	c, proof := s.Bot(t), s.Prover(t)
	d := newDir(t, s, func(c *ldap.Config) { c.MaxConns = 1 })
	sealer := bot.NewEphemeralSealer()
	var flushes []*timedSink
	fileSink := func() *timedSink {
		sink, err := jsonl.Open(filepath.Join(t.TempDir(), "audit.jsonl"), audit.EphemeralKeyring())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sink.Close() })
		ts := &timedSink{Sink: sink}
		flushes = append(flushes, ts)
		return ts
	}
	tech, approver := bot.Actor{Platform: "test", ID: "T1"}, bot.Actor{Platform: "test", ID: "A1"}
	service := func(st store.Store, sink audit.Sink) *bot.Service {
		svc, err := bot.New(bot.Config{Store: st, Sealer: sealer, Audit: sink, Log: zerolog.New(io.Discard), RunTries: 1,
			Limits: bot.Limits{PerTechnicianPerHour: 4 * rounds},
			Orgs: []*bot.Org{{ID: "lab", Name: "Lab", Directory: d, Tickets: local.New(store.Values{Store: st}, "lab", sealer.SealBytes), PSACompanyID: "lab",
				Technicians: []string{tech.Key()}, Approvers: []string{approver.Key()}, ApprovalChannel: map[string]string{"test": "C1"},
				Policy: bot.Policy{MaxResetsPerAccountPerDay: 4 * rounds, RequireApproval: true, ApprovalTTL: time.Hour}}}})
		if err != nil {
			t.Fatal(err)
		}
		svc.SetNotifier("test", quietChat{})
		return svc
	}
	mem := memstore.New()
	redis := storetest.NewRedisStore(t)
	ctx := context.Background()
	op := bot.Actor{Platform: "cli", ID: "bench"}
	breakGlass := func(svc *bot.Service) func() time.Duration {
		return func() time.Duration {
			s.Lock(t, dn)
			start := time.Now()
			r, err := svc.BreakGlass(ctx, bot.Submission{Requester: op, OrgID: "lab", Account: "carol",
				Password: identity.NewSecret(newPassword()), Reason: "ratio measurement"})
			if err != nil || r.State != bot.StateDone {
				t.Fatalf("service reset: %v", err)
			}
			return time.Since(start)
		}
	}
	approved := func(svc *bot.Service) func() time.Duration {
		return func() time.Duration {
			s.Lock(t, dn)
			r, err := svc.Submit(ctx, bot.Submission{Requester: tech, OrgID: "lab", Account: "carol",
				Password: identity.NewSecret(newPassword()), Reason: "ratio measurement"})
			if err != nil {
				t.Fatalf("submit: %v", err)
			}
			start := time.Now()
			if r, err = svc.Approve(ctx, r.ID, approver); err != nil || r.State != bot.StateDone {
				t.Fatalf("approved reset: %v", err)
			}
			return time.Since(start)
		}
	}
	kinds := []struct {
		name  string
		round func() time.Duration
		took  []time.Duration
	}{
		{name: "raw floor", round: func() time.Duration {
			s.Lock(t, dn)
			start := time.Now()
			rawRound(t, c, proof, s, "carol", dn, newPassword(), benchMode{reset: true, bind: true})
			return time.Since(start)
		}},
		{name: "break-glass, memory store", round: breakGlass(service(mem, fileSink()))},
		{name: "break-glass, memory store, trail to nothing", round: breakGlass(service(mem, jsonl.New(io.Discard, nil)))},
		{name: "break-glass, Redis", round: breakGlass(service(redis, fileSink()))},
		{name: "approve to done, Redis", round: approved(service(redis, fileSink()))},
	}
	// Each round starts one kind later than the one before, so no kind
	// always follows the same other one (Samba still busy with the last
	// password change, a trail's delayed flush of the round before).
	for i := 0; i < rounds; i++ {
		for j := range kinds {
			k := &kinds[(i+j)%len(kinds)]
			k.took = append(k.took, k.round())
		}
	}
	floor, _ := percentiles(kinds[0].took)
	var b strings.Builder
	fmt.Fprintf(&b, "%d alternating rounds, account locked for real before each: raw floor median %v", rounds, floor.Round(time.Microsecond))
	for _, k := range kinds[1:] {
		p50, _ := percentiles(k.took)
		fmt.Fprintf(&b, "; %s %v (ratio %.3f, paired %.3f)", k.name, p50.Round(time.Microsecond), float64(p50)/float64(floor), pairedRatio(k.took, kinds[0].took))
	}
	t.Log(b.String())
	for i, name := range []string{"memory store", "Redis", "approve to done"} {
		t.Logf("the trail's waits for the disk, %s: %s", name, flushes[i].summary())
	}
}

// timedSink times what the flow waits for the disk: a durable Write and a
// Sync, each an fsync or a share in one.
type timedSink struct {
	*jsonl.Sink
	mu    sync.Mutex
	waits []time.Duration
}

func (s *timedSink) timed(start time.Time) {
	s.mu.Lock()
	s.waits = append(s.waits, time.Since(start))
	s.mu.Unlock()
}

func (s *timedSink) Write(ctx context.Context, e audit.Event) error {
	defer s.timed(time.Now())
	return s.Sink.Write(ctx, e)
}

func (s *timedSink) Sync(ctx context.Context) error {
	defer s.timed(time.Now())
	return s.Sink.Sync(ctx)
}

func (s *timedSink) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p50, p99 := percentiles(s.waits)
	var sum time.Duration
	for _, w := range s.waits {
		sum += w
	}
	return fmt.Sprintf("%d waits, p50 %v, p99 %v, total %v", len(s.waits), p50.Round(time.Microsecond), p99.Round(time.Microsecond), sum.Round(time.Millisecond))
}

// pairedRatio is the median over rounds of each round's time over the
// floor's in the same round: Samba slows and speeds up over minutes (its
// floor went from 42 to 69 ms in one session), which a ratio of two
// medians takes in whole when the drift falls unevenly on the kinds, and
// a round's own pair, a few hundred milliseconds apart, mostly does not.
func pairedRatio(took, floor []time.Duration) float64 {
	r := make([]float64, min(len(took), len(floor)))
	for i := range r {
		r[i] = float64(took[i]) / float64(floor[i])
	}
	if len(r) == 0 {
		return 0
	}
	slices.Sort(r)
	return r[len(r)/2]
}

// quietChat is a chat platform that takes every message at once: the
// measured path posts its cards and confirmations, and chat is not what
// is measured.
type quietChat struct{}

func (quietChat) PostApproval(context.Context, string, bot.Card) (bot.MessageRef, error) {
	return bot.MessageRef{Channel: "C1", ID: "1.1"}, nil
}
func (quietChat) UpdateApproval(context.Context, bot.MessageRef, bot.Card) error { return nil }
func (quietChat) ReplyInThread(context.Context, bot.MessageRef, bot.Card) error  { return nil }
func (quietChat) Notify(context.Context, bot.Actor, bot.Card) error              { return nil }
func (quietChat) Whisper(context.Context, string, bot.Actor, string) error       { return nil }
