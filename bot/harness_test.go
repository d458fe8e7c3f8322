package bot

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/audittest"
	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/bot/store/redisstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
	"github.com/unlockbot/unlockbot/psa"
	"github.com/unlockbot/unlockbot/psa/local"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of the tests
// that race two approvals.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakeChat is a Notifier that records every card it is given.
type fakeChat struct {
	mu    sync.Mutex
	posts []string // "kind channel: json-ish card"
	n     int
	fail  error // PostApproval fails
	// failTell makes every other call fail (updates, thread replies, DMs).
	failTell error
	// onNotify runs before a private message is recorded.
	onNotify func(to Actor, c Card)
}

func (f *fakeChat) add(kind, where string, c Card) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts = append(f.posts, fmt.Sprintf("%s %s: %+v", kind, where, c))
}

func (f *fakeChat) PostApproval(_ context.Context, ch string, c Card) (MessageRef, error) {
	if f.fail != nil {
		return MessageRef{}, f.fail
	}
	f.add("post", ch, c)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return MessageRef{Channel: ch, ID: fmt.Sprint(f.n), Link: fmt.Sprintf("https://chat.example/%s/%d", ch, f.n)}, nil
}
func (f *fakeChat) UpdateApproval(_ context.Context, ref MessageRef, c Card) error {
	if f.failTell != nil {
		return f.failTell
	}
	f.add("update", ref.Channel, c)
	return nil
}
func (f *fakeChat) ReplyInThread(_ context.Context, ref MessageRef, c Card) error {
	if f.failTell != nil {
		return f.failTell
	}
	f.add("thread", ref.Channel, c)
	return nil
}
func (f *fakeChat) Notify(_ context.Context, to Actor, c Card) error {
	if f.onNotify != nil {
		f.onNotify(to, c)
	}
	if f.failTell != nil {
		return f.failTell
	}
	f.add("dm", to.Key(), c)
	return nil
}

func (f *fakeChat) Whisper(_ context.Context, where string, to Actor, text string) error {
	if f.failTell != nil {
		return f.failTell
	}
	f.add("whisper", to.Key()+"@"+where, Card{Text: text})
	return nil
}

func (f *fakeChat) all() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.posts, "\n")
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	t       testing.TB
	svc     *Service
	st      store.Store
	sealer  *Sealer
	dir     *memory.Directory
	tickets *local.Tickets
	chat    *fakeChat
	logs    *syncBuffer
	audit   *syncBuffer
	clock   *clock
	org     *Org
	lastID  string // for hooks that need the request under test
	// runTries is Config.RunTries (0: 1, so an injected failure fails
	// the reset at once; the tests of retrying set more)
	runTries int
	// failAudit makes the audit sink refuse events of this type.
	failAudit string
	durable   typeLog // event types the flow flushed to disk on their own
	// limits for replicas made after it is set (benchmarks raise them).
	limits Limits
	// wrapTickets, when set, wraps each replica's tickets (a PSA that
	// fails) for replicas made after it is set.
	wrapTickets func(psa.Tickets) psa.Tickets
	// services are the harness's Services, for settle.
	services []*Service
}

// settle waits for the detached work of every Service of the harness (a
// closing save's clean-ups): what the store holds then is what the flow
// left.
func (h *harness) settle() {
	h.t.Helper()
	for _, s := range h.services {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := s.Drain(ctx)
		cancel()
		if err != nil {
			h.t.Fatalf("detached work still running: %v", err)
		}
	}
}

// pickySink refuses one event type, as a full disk would.
type pickySink struct {
	h     *harness
	inner audit.Sink
}

func (p pickySink) Write(ctx context.Context, e audit.Event) error {
	if e.Type == p.h.failAudit {
		return errors.New("audit disk full")
	}
	p.h.durable.add(e.Type)
	return p.inner.Write(ctx, e)
}

// Append lets the flow defer the disk flush, as the file sink does; the
// harness notes which events were flushed on their own (durable).
func (p pickySink) Append(ctx context.Context, e audit.Event) error {
	if e.Type == p.h.failAudit {
		return errors.New("audit disk full")
	}
	if err := p.inner.(audit.Appender).Append(ctx, e); err != nil {
		return err
	}
	p.h.durable.appended(e.Type)
	return nil
}

// Sync flushes what was appended, as the file sink does; the harness notes
// the last event it covered as flushed on its own.
func (p pickySink) Sync(ctx context.Context) error {
	if p.h.failAudit == "sync" {
		return errors.New("audit disk full")
	}
	p.h.durable.synced()
	return p.inner.(audit.Syncer).Sync(ctx)
}

// typeLog is the event types written durably, in order: a Write's own,
// or the last one appended before a Sync.
type typeLog struct {
	mu    sync.Mutex
	types []string
	last  string // the last event appended
}

func (l *typeLog) appended(t string) { l.mu.Lock(); l.last = t; l.mu.Unlock() }
func (l *typeLog) synced()           { l.mu.Lock(); l.types = append(l.types, l.last); l.mu.Unlock() }

func (l *typeLog) add(t string) { l.mu.Lock(); l.types = append(l.types, t); l.mu.Unlock() }

func (l *typeLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.types
	l.types = nil
	return out
}

var (
	tech     = Actor{Platform: "test", ID: "U1", Name: "Tess Tech"}
	approver = Actor{Platform: "test", ID: "U2", Name: "Abe Approver"}
	other    = Actor{Platform: "test", ID: "U3", Name: "Otto Other"}
	groupie  = Actor{Platform: "test", ID: "U4", Name: "Gia Group", Groups: []string{"S-approvers"}}
)

func testUsers() []memory.User {
	u := func(name string) memory.User {
		return memory.User{Account: identity.Account{Username: name, DisplayName: strings.ToUpper(name[:1]) + name[1:] + " Person", InScope: true}, Password: "Old-Passw0rd!"}
	}
	alice, bob := u("alice"), u("bob")
	alice.Lock.Locked = true
	dadmin := u("dadmin")
	dadmin.ProtectedGroups = []string{"Domain Admins"}
	nested := u("nested")
	nested.ProtectedGroups = []string{"Domain Admins"}
	acount := u("acount")
	acount.AdminCount = true
	off := u("off")
	off.Disabled = true
	intent := u("intent")
	intent.IntentionalLock = true
	outside := u("outside")
	outside.InScope = false
	blind := u("blind")
	blind.GuardUnavailable = true
	deny := u("deny")
	deny.DenyGroups = []string{"VIPs"}
	return []memory.User{alice, bob, dadmin, nested, acount, off, intent, outside, blind, deny}
}

// newHarness wires a Service on st (memstore when nil).
func newHarness(t testing.TB, st store.Store) *harness {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	if st == nil {
		st = memstore.New(memstore.WithClock(clk.now)) // TTLs run on the test's clock
	}
	h := &harness{t: t, st: st, sealer: NewEphemeralSealer(), dir: memory.New(testUsers()...), chat: &fakeChat{},
		logs: &syncBuffer{}, audit: &syncBuffer{}, clock: clk}
	h.tickets = local.New(store.Values{Store: st}, "acme", h.sealer.SealBytes)
	h.org = &Org{
		ID: "acme", Name: "Acme", Directory: h.dir, Tickets: h.tickets, PSACompanyID: "acme-co",
		Policy:          Policy{RequireApproval: true},
		Technicians:     []string{"test:U1", "test:U2"},
		Approvers:       []string{"test:U2", "test:S-approvers"},
		Channels:        []string{"test:C-acme"},
		ApprovalChannel: map[string]string{"test": "C-approvals"},
	}
	h.svc = h.replica(st)
	// Every record any test writes must be one the schema describes.
	t.Cleanup(func() {
		if err := audittest.ValidateAll([]byte(h.audit.String())); err != nil {
			t.Error(err)
		}
	})
	return h
}

// replica is a second Service on its own store client, sharing the
// directory, the sealing key and the outputs: another process.
func (h *harness) replica(st store.Store) *Service {
	h.t.Helper()
	org := *h.org
	org.Tickets = local.New(store.Values{Store: st}, "acme", h.sealer.SealBytes)
	if h.wrapTickets != nil {
		org.Tickets = h.wrapTickets(org.Tickets)
	}
	svc, err := New(Config{Store: st, Sealer: h.sealer, Audit: pickySink{h, jsonl.New(h.audit, nil)}, Orgs: []*Org{&org},
		Log: zerolog.New(h.logs).Level(zerolog.DebugLevel), Now: h.clock.now, Lease: time.Minute, Limits: h.limits,
		RunTries: cmp.Or(h.runTries, 1)})
	if err != nil {
		h.t.Fatal(err)
	}
	svc.SetNotifier("test", h.chat)
	h.services = append(h.services, svc)
	return svc
}

// serviceOn is a Service of the harness's org, clock, logs and chat on st,
// writing its trail to sink: for tests that watch the store or the trail
// from between.
func (h *harness) serviceOn(st store.Store, sink audit.Sink) *Service {
	h.t.Helper()
	svc, err := New(Config{Store: st, Sealer: h.sealer, Audit: sink, Orgs: []*Org{h.org}, Log: zerolog.New(h.logs), Now: h.clock.now, RunTries: 1})
	if err != nil {
		h.t.Fatal(err)
	}
	svc.SetNotifier("test", h.chat)
	h.services = append(h.services, svc)
	return svc
}

// dieAt makes the harness's worker vanish right after it records step, as
// a killed process would: its goroutine ends, no failure handling runs.
// Run the call that dies with dying.
func (h *harness) dieAt(step string) {
	h.svc.afterStep = func(s string) error {
		if s == step {
			runtime.Goexit()
		}
		return nil
	}
}

// dying runs fn on a goroutine of its own, which dieAt may end, and waits.
func dying(fn func()) {
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	<-done
}

func (h *harness) submit(account string, pw string) (*Request, error) {
	sub := Submission{Requester: tech, OrgID: "acme", Account: account, Temporary: true, Reason: "Verified by call-back to HR number", Origin: "C-acme"}
	if pw != "" {
		sub.Password = identity.NewSecret(pw)
	}
	return h.svc.Submit(context.Background(), sub)
}

func (h *harness) mustSubmit(account, pw string) *Request {
	h.t.Helper()
	r, err := h.submit(account, pw)
	if err != nil {
		h.t.Fatalf("submit %s: %v", account, err)
	}
	return r
}

// ticketCount counts tickets of the org in the store.
func (h *harness) ticketCount() int {
	h.t.Helper()
	keys, err := h.st.List(context.Background(), "psa:acme:ticket:")
	if err != nil {
		h.t.Fatal(err)
	}
	return len(keys)
}

// storeDump is everything stored, for leak scans: raw from Redis (every
// key type), or every record of the in-memory store.
func (h *harness) storeDump() string {
	h.t.Helper()
	if rs, ok := h.st.(*redisstore.Store); ok {
		return storetest.RawDump(h.t, rs.Prefix())
	}
	ctx := context.Background()
	keys, err := h.st.List(ctx, "")
	if err != nil {
		h.t.Fatal(err)
	}
	var b strings.Builder
	for _, k := range keys {
		rec, err := h.st.Get(ctx, k)
		if err == nil {
			b.WriteString(k + "=" + string(rec.Value) + "\n")
		}
	}
	return b.String()
}

// stores runs fn on the in-memory store and on real Redis.
func stores(t *testing.T, fn func(t *testing.T, newStore func() store.Store)) {
	t.Run("memory", func(t *testing.T) { fn(t, func() store.Store { return memstore.New() }) })
	t.Run("redis", func(t *testing.T) {
		first := storetest.NewRedisStore(t)
		fn(t, func() store.Store { return first })
	})
}
