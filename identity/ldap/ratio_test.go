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
// (the account read again from the click on, beside the approval's save,
// which carries the claim; the approval flushed while the account is read;
// the reset), given also to the last confirmation sent, which is what the
// approver and the technician see (the bookkeeping after it is not). Each
// kind is given as the ratio of its median to the floor's and as the
// median of its rounds' own ratios (pairedRatio). It reports; it asserts
// no speed.
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
	service := func(st store.Store, sink audit.Sink, d identity.Directory) *bot.Service {
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
	var confirmed []time.Duration // approve to done: the click to the last confirmation sent
	approved := func(svc *bot.Service, td *timedDir) func() time.Duration {
		told := &toldChat{}
		svc.SetNotifier("test", told)
		return func() time.Duration {
			s.Lock(t, dn)
			r, err := svc.Submit(ctx, bot.Submission{Requester: tech, OrgID: "lab", Account: "carol",
				Password: identity.NewSecret(newPassword()), Reason: "ratio measurement"})
			if err != nil {
				t.Fatalf("submit: %v", err)
			}
			td.take() // the submit's read is not timed
			start := time.Now()
			told.take()
			if r, err = svc.Approve(ctx, r.ID, approver); err != nil || r.State != bot.StateDone {
				t.Fatalf("approved reset: %v", err)
			}
			took := time.Since(start)
			last := told.take()
			if last.IsZero() {
				t.Fatal("approved reset: no confirmation sent")
			}
			confirmed = append(confirmed, last.Sub(start))
			return took
		}
	}
	// Each service kind's directory calls are timed, so a round splits into
	// the directory's part and the flow's around it.
	dirs := map[string]*timedDir{}
	dirOf := func(kind string) identity.Directory {
		dirs[kind] = &timedDir{Directory: d}
		return dirs[kind]
	}
	kinds := []struct {
		name   string
		round  func() time.Duration
		took   []time.Duration
		inside []time.Duration
	}{
		{name: "raw floor", round: func() time.Duration {
			s.Lock(t, dn)
			start := time.Now()
			rawRound(t, c, proof, s, "carol", dn, newPassword(), benchMode{reset: true, bind: true})
			return time.Since(start)
		}},
		{name: "the directory's calls alone", round: func() time.Duration {
			s.Lock(t, dn)
			pw := identity.NewSecret(newPassword())
			start := time.Now()
			acct, err := dirOf("the directory's calls alone").Lookup(ctx, "carol")
			if err == nil {
				err = dirs["the directory's calls alone"].SetPassword(ctx, acct, identity.PasswordChange{Password: pw, Unlock: true})
			}
			if err == nil {
				_, err = dirs["the directory's calls alone"].Verify(ctx, acct, pw, false)
			}
			if err != nil {
				t.Fatalf("directory round: %v", err)
			}
			return time.Since(start)
		}},
		{name: "break-glass, memory store", round: breakGlass(service(mem, fileSink(), dirOf("break-glass, memory store")))},
		{name: "break-glass, memory store, trail to nothing", round: breakGlass(service(mem, jsonl.New(io.Discard, nil), dirOf("break-glass, memory store, trail to nothing")))},
		{name: "break-glass, Redis", round: breakGlass(service(redis, fileSink(), dirOf("break-glass, Redis")))},
		{name: "approve to done, Redis", round: func() func() time.Duration {
			d := dirOf("approve to done, Redis")
			return approved(service(redis, fileSink(), d), d.(*timedDir))
		}()},
	}
	// Each round starts one kind later than the one before, so no kind
	// always follows the same other one (Samba still busy with the last
	// password change, a trail's delayed flush of the round before).
	for i := 0; i < rounds; i++ {
		for j := range kinds {
			k := &kinds[(i+j)%len(kinds)]
			if td := dirs[k.name]; td != nil {
				td.take()
			}
			k.took = append(k.took, k.round())
			if td := dirs[k.name]; td != nil {
				k.inside = append(k.inside, td.take())
			}
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
	p50, _ := percentiles(confirmed)
	t.Logf("approve to the confirmations (the last one sent, what the approver and the technician see), Redis: %v (ratio %.3f, paired %.3f)",
		p50.Round(time.Microsecond), float64(p50)/float64(floor), pairedRatio(confirmed, kinds[0].took))
	for _, k := range kinds[1:] {
		var outside []time.Duration
		for i := range k.inside {
			outside = append(outside, k.took[i]-k.inside[i])
		}
		in50, _ := percentiles(k.inside)
		out50, _ := percentiles(outside)
		t.Logf("%s: in the directory's calls %v a round (median), around them %v", k.name, in50.Round(time.Microsecond), out50.Round(time.Microsecond))
	}
	for i, name := range []string{"memory store", "Redis", "approve to done"} {
		t.Logf("the trail's waits for the disk, %s: %s", name, flushes[i].summary())
	}
	// The same disk with nothing else going on: what a durable line costs
	// when Samba is not writing beside it.
	idle := fileSink()
	for i := 0; i < 100; i++ {
		if err := idle.Write(ctx, audit.Event{Time: time.Now().UTC(), Type: "reset.completed", Outcome: audit.OK, Actor: "system"}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("a durable line on the same disk, nothing else running: %s", idle.summary())
}

// timedDir adds up the time spent in a directory's calls.
type timedDir struct {
	identity.Directory
	mu sync.Mutex
	in time.Duration
}

func (d *timedDir) add(start time.Time) {
	d.mu.Lock()
	d.in += time.Since(start)
	d.mu.Unlock()
}

// take returns the time in calls since the last take.
func (d *timedDir) take() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	in := d.in
	d.in = 0
	return in
}

func (d *timedDir) Lookup(ctx context.Context, name string) (identity.Account, error) {
	defer d.add(time.Now())
	return d.Directory.Lookup(ctx, name)
}

func (d *timedDir) SetPassword(ctx context.Context, a identity.Account, c identity.PasswordChange) error {
	defer d.add(time.Now())
	return d.Directory.SetPassword(ctx, a, c)
}

func (d *timedDir) Unlock(ctx context.Context, a identity.Account) error {
	defer d.add(time.Now())
	return d.Directory.Unlock(ctx, a)
}

func (d *timedDir) Verify(ctx context.Context, a identity.Account, pw identity.Secret, temporary bool) (identity.Verification, error) {
	defer d.add(time.Now())
	return d.Directory.Verify(ctx, a, pw, temporary)
}

// timedSink times what the flow waits for the disk: a durable Write and a
// Sync, each an fsync or a share in one.
type timedSink struct {
	*jsonl.Sink
	mu      sync.Mutex
	syncs   []time.Duration // the attempt's start, flushed beside the reads (Sync)
	durable []time.Duration // a durable Write: the approval, the completion
}

func (s *timedSink) timed(into *[]time.Duration, start time.Time) {
	s.mu.Lock()
	*into = append(*into, time.Since(start))
	s.mu.Unlock()
}

func (s *timedSink) Write(ctx context.Context, e audit.Event) error {
	defer s.timed(&s.durable, time.Now())
	return s.Sink.Write(ctx, e)
}

func (s *timedSink) Sync(ctx context.Context) error {
	defer s.timed(&s.syncs, time.Now())
	return s.Sink.Sync(ctx)
}

// summary gives the waits for the disk, all and by kind: a Sync is the
// start's background flush (its time, not what the flow waited of it), a
// Write the flow waiting in full.
func (s *timedSink) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := append(slices.Clone(s.syncs), s.durable...)
	p50, p99 := percentiles(all)
	var sum time.Duration
	for _, w := range all {
		sum += w
	}
	sp50, _ := percentiles(s.syncs)
	dp50, _ := percentiles(s.durable)
	return fmt.Sprintf("%d waits, p50 %v, p99 %v, total %v (start flushes p50 %v, durable writes p50 %v)", len(all),
		p50.Round(time.Microsecond), p99.Round(time.Microsecond), sum.Round(time.Millisecond), sp50.Round(time.Microsecond), dp50.Round(time.Microsecond))
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

// toldChat is quietChat noting when it last sent a confirmation (a thread
// reply or a message to a person).
type toldChat struct {
	quietChat
	mu   sync.Mutex
	last time.Time
}

func (c *toldChat) told() {
	c.mu.Lock()
	c.last = time.Now()
	c.mu.Unlock()
}

// take returns the time of the last confirmation since the last take.
func (c *toldChat) take() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	last := c.last
	c.last = time.Time{}
	return last
}

func (c *toldChat) ReplyInThread(context.Context, bot.MessageRef, bot.Card) error {
	c.told()
	return nil
}
func (c *toldChat) Notify(context.Context, bot.Actor, bot.Card) error { c.told(); return nil }

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
