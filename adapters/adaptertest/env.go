package adaptertest

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
	"github.com/unlockbot/unlockbot/psa/local"
)

// The one org every adapter is tested with.
const (
	OrgID       = "acme"
	OrgName     = "Acme"
	Locked      = "alice" // locked, the account the scenarios reset
	ApprovalTTL = time.Hour
)

// Bindings say how the org names one platform's people and places, in the
// principal syntax of bot.Org ("slack:T1:U123"). They are the only thing
// an adapter brings to the environment: the flow behind it is the same.
type Bindings struct {
	Platform string // as the adapter registers its notifier ("slack")
	// Technicians must include the Technician and the Approver, Approvers
	// the Approver and no other role of the suite (a driver may add a
	// person of its own, as Teams' does to read cards as an approver
	// sees them); nobody names the Outsider.
	Technicians, Approvers []string
	Channels               []string // where the command may be run
	ApprovalChannel        string
}

// Env is the flow behind the adapter: a bot.Service on an in-memory
// directory, store and tickets, with an audit trail and a log the suite
// scans for secrets, and a clock the suite moves. The adapter under test is
// built on Service, Store and Log; nothing else.
type Env struct {
	Service *bot.Service
	Store   store.Store
	// Dir is the org's directory: the suite checks what was written to it
	// and tells it to fail a call (Dir.FailNext) to test a retry.
	Dir *memory.Directory
	Log zerolog.Logger

	logs, audit Buffer
	clock       clock
}

// NewEnv builds the environment for one scenario.
func NewEnv(t testing.TB, b Bindings) *Env {
	t.Helper()
	e := &Env{Store: memstore.New(), Dir: memory.New(accounts()...)}
	e.Log = zerolog.New(&e.logs).Level(zerolog.DebugLevel)
	sealer := bot.NewEphemeralSealer()
	org := &bot.Org{
		ID: OrgID, Name: OrgName, Directory: e.Dir, PSACompanyID: OrgID + "-co",
		Tickets:         local.New(store.Values{Store: e.Store}, OrgID, sealer.SealBytes),
		Policy:          bot.Policy{RequireApproval: true, ApprovalTTL: ApprovalTTL},
		Technicians:     b.Technicians,
		Approvers:       b.Approvers,
		Channels:        b.Channels,
		ApprovalChannel: map[string]string{b.Platform: b.ApprovalChannel},
	}
	svc, err := bot.New(bot.Config{Store: e.Store, Sealer: sealer, Audit: jsonl.New(&e.audit, nil), Orgs: []*bot.Org{org},
		Log: e.Log, Now: e.clock.now, Lease: time.Minute,
		RunTries: 1}) // an injected failure fails the reset at once, so Retry can be shown
	if err != nil {
		t.Fatal(err)
	}
	e.Service = svc
	return e
}

// Advance moves the service's clock (never the adapter's: signatures and
// the platform's own deadlines stay on real time).
func (e *Env) Advance(d time.Duration) { e.clock.add(d) }

// DirectoryDown is the error a directory gives when its server does not
// answer: a failure a retry can fix.
func DirectoryDown() error {
	return identity.E("adaptertest.Directory", identity.KindUnavailable, "The domain controller did not answer.", nil)
}

func accounts() []memory.User {
	u := func(name string, locked bool) memory.User {
		m := memory.User{Account: identity.Account{Username: name, DisplayName: strings.ToUpper(name[:1]) + name[1:] + " Person", InScope: true}, Password: "Old-Passw0rd!"}
		m.Lock.Locked = locked
		return m
	}
	return []memory.User{u(Locked, true), u("bob", false)}
}

type clock struct {
	mu sync.Mutex
	d  time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.d)
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.d += d
}

// Buffer collects output written by the service's goroutines while a test
// reads it (logs, an audit trail); every adapter's tests may use it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Audit is the audit trail so far (JSON lines).
func (e *Env) Audit() string { return e.audit.String() }

// Logs is the service's and the adapter's log so far.
func (e *Env) Logs() string { return e.logs.String() }
