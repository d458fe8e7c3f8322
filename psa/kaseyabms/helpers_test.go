package kaseyabms_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa/kaseyabms"
	"github.com/unlockbot/unlockbot/psa/kaseyabms/kaseyabmstest"
)

const apiPassword = "Api-Pa55-w0rd!x"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type env struct {
	fake   *kaseyabmstest.Server
	cfg    kaseyabms.Config
	clk    *clock
	logs   *syncBuf
	mu     sync.Mutex
	sleeps []time.Duration
}

func (e *env) Sleeps() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]time.Duration(nil), e.sleeps...)
}

func (e *env) client(t *testing.T) *kaseyabms.Client {
	t.Helper()
	c, err := kaseyabms.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newEnv seeds Acme (account 250, locations 11 and 12, contact jane) and
// Other (300), and the lookups the config below names.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{clk: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}, logs: &syncBuf{}}
	f := kaseyabmstest.New(t, "acme-msp", "bot@msp.example", apiPassword)
	f.Now = e.clk.Now
	f.AddAccount(250, "Acme", 11, 12)
	f.AddAccount(300, "Other", 31)
	f.AddContact(7001, 250, "jane@acme.example")
	f.AddContact(7002, 300, "joe@other.example")
	f.AddLookup(kaseyabmstest.TableStatuses, 1, "New")
	f.AddLookup(kaseyabmstest.TableStatuses, 5, "Resolved")
	f.AddLookup(kaseyabmstest.TablePriorities, 2, "Medium")
	f.AddLookup(kaseyabmstest.TableTypes, 3, "Service Request")
	f.AddLookup(kaseyabmstest.TableSources, 4, "Chat")
	f.AddLookup(kaseyabmstest.TableNoteTypes, 6, "Internal Note")
	e.fake = f
	e.cfg = kaseyabms.Config{BaseURL: f.URL, Tenant: "acme-msp", UserName: "bot@msp.example", Password: identity.NewSecret(apiPassword),
		CompanyID: "250", LocationID: 11, PriorityID: 2, SourceID: 4, StatusID: 1, TypeID: 3, NoteTypeID: 6, ResolveStatusID: 5,
		HTTPClient: f.Client(), Now: e.clk.Now, Log: zerolog.New(e.logs),
		Sleep: func(ctx context.Context, d time.Duration) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.sleeps = append(e.sleeps, d)
			return nil
		}}
	t.Cleanup(func() {
		for _, v := range f.Violations() {
			t.Errorf("contract violation: %s", v)
		}
	})
	return e
}
