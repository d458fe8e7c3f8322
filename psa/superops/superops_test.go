package superops_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
	"github.com/unlockbot/unlockbot/psa/superops"
	"github.com/unlockbot/unlockbot/psa/superops/superopstest"
)

const (
	token    = "tok-SECRET-5f3a9c"
	sub      = "acme-msp"
	acme     = "4001"
	password = "Pw-Never-Logged-77!"
)

type rig struct {
	fake   *superopstest.Server
	c      *superops.Client
	log    *bytes.Buffer
	mu     sync.Mutex
	sleeps []time.Duration
}

func (r *rig) waits() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.sleeps...)
}

func newRig(t *testing.T, mod ...func(*superops.Config)) *rig {
	t.Helper()
	r := &rig{fake: superopstest.New(t, token, sub, "New", "In Progress", "Resolved", "Closed"), log: &bytes.Buffer{}}
	r.fake.AddClient(acme, "Acme Ltd")
	r.fake.AddClient("4002", "Acme Ltd") // same name, another client
	r.fake.AddClient("4003", "Globex")
	r.fake.AddUser("u-alice", acme, "Alice Smith", "alice@acme.test")
	r.fake.AddUser("u-desk", acme, "Service Desk", "desk@acme.test")
	cfg := superops.Config{
		BaseURL: r.fake.Endpoint(), Subdomain: sub, Token: identity.NewSecret(token), CompanyID: acme,
		NewStatus: "New", ResolvedStatus: "Resolved", OpenStatuses: []string{"New", "In Progress"},
		Log: zerolog.New(r.log), Timeout: 2 * time.Second,
		Sleep: func(_ context.Context, d time.Duration) error {
			r.mu.Lock()
			r.sleeps = append(r.sleeps, d)
			r.mu.Unlock()
			return nil
		},
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := superops.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.c = c
	t.Cleanup(func() { r.noLeak(t) })
	return r
}

// noLeak: neither the token nor a password ever reaches the log.
func (r *rig) noLeak(t *testing.T) {
	t.Helper()
	for _, s := range []string{token, password} {
		if strings.Contains(r.log.String(), s) {
			t.Errorf("log contains a secret: %s", r.log.String())
		}
	}
}

var ctx = context.Background()

func TestListOpenKeepsOnlyTheClientsOpenTickets(t *testing.T) {
	r := newRig(t)
	now := time.Now().UTC()
	old := r.fake.AddTicket(acme, "Printer jammed", "New", now.Add(-3*time.Hour))
	newer := r.fake.AddTicket(acme, "Locked out of VPN", "In Progress", now.Add(-time.Hour))
	r.fake.AddTicket(acme, "Old resolved", "Resolved", now)
	r.fake.AddTicket("4002", "Other Acme's ticket", "New", now) // same client name
	r.fake.AddTicket("4003", "Globex ticket", "New", now)

	got, err := r.c.ListOpen(ctx, acme, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != newer || got[1].ID != old {
		t.Fatalf("got %+v", got)
	}
	for _, tk := range got {
		if tk.CompanyID != acme || tk.Closed || tk.Number == "" {
			t.Errorf("bad ticket %+v", tk)
		}
	}
	got, err = r.c.ListOpen(ctx, acme, "vpn locked", 10)
	if err != nil || len(got) != 1 || got[0].ID != newer {
		t.Fatalf("query: %+v %v", got, err)
	}
	got, _ = r.c.ListOpen(ctx, acme, got[0].Number, 10)
	if len(got) != 1 {
		t.Fatalf("by number: %+v", got)
	}
}

func TestGetFillsCompanyAndNotFound(t *testing.T) {
	r := newRig(t)
	other := r.fake.AddTicket("4003", "Globex ticket", "New", time.Now())
	tk, err := r.c.Get(ctx, other)
	if err != nil || tk.CompanyID != "4003" {
		t.Fatalf("%+v %v", tk, err)
	}
	if _, err := r.c.Get(ctx, "999"); !errors.Is(err, psa.ErrNotFound) {
		t.Fatalf("unknown ticket: %v", err)
	}
}

func TestCreateWithContactMarkerAndConfiguredStatus(t *testing.T) {
	r := newRig(t)
	tk, err := r.c.Create(ctx, psa.NewTicket{CompanyID: acme, Summary: "Password reset for alice", Description: "Reset by bot.", IdempotencyKey: "req-1", ContactEmail: "ALICE@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := r.fake.Ticket(tk.ID)
	if got.RequesterID != "u-alice" || got.Status != "New" || got.AccountID != acme || got.Source != "AGENT" {
		t.Fatalf("wire ticket %+v", got)
	}
	conv := r.fake.Conversations(tk.ID)
	if len(conv) != 1 || conv[0].Type != "DESCRIPTION" || !strings.Contains(conv[0].Content, "unlockbot request req-1") {
		t.Fatalf("description %+v", conv)
	}
	found, ok, err := r.c.FindCreated(ctx, acme, "req-1")
	if err != nil || !ok || found.ID != tk.ID {
		t.Fatalf("FindCreated: %+v %v %v", found, ok, err)
	}
	if _, ok, _ := r.c.FindCreated(ctx, acme, "req-2"); ok {
		t.Fatal("found a key never used")
	}
}

func TestCreateRequesterFallbackAndItsAbsence(t *testing.T) {
	r := newRig(t)
	_, err := r.c.Create(ctx, psa.NewTicket{CompanyID: acme, Summary: "x", ContactEmail: "nobody@acme.test"})
	if err == nil || !strings.Contains(superops.Explain(err, acme).Error(), "requester_user_id") {
		t.Fatalf("want a requester sentence, got %v", err)
	}
	r2 := newRig(t, func(c *superops.Config) { c.RequesterUserID = "u-desk" })
	tk, err := r2.c.Create(ctx, psa.NewTicket{CompanyID: acme, Summary: strings.Repeat("long ", 100), ContactEmail: "nobody@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r2.fake.Ticket(tk.ID); got.RequesterID != "u-desk" {
		t.Fatalf("requester %q", got.RequesterID)
	}
}

func TestPasswordNoteIsPrivateOnTheWire(t *testing.T) {
	r := newRig(t)
	id := r.fake.AddTicket(acme, "Locked out", "New", time.Now())
	n := psa.Note{Text: "Reset done.", Internal: true, Password: identity.NewSecret(password), IdempotencyKey: "req-9"}
	if err := r.c.AddNote(ctx, id, n); err != nil {
		t.Fatal(err)
	}
	if err := r.c.AddNote(ctx, id, n); err != nil { // a repeat is skipped
		t.Fatal(err)
	}
	notes := r.fake.Notes(id)
	if len(notes) != 1 || notes[0].PrivacyType != "PRIVATE" || !strings.Contains(notes[0].Content, password) {
		t.Fatalf("notes %+v", notes)
	}
	for _, req := range r.fake.Requests() {
		if strings.Contains(req.Body, password) && !strings.Contains(req.Body, `"privacyType":"PRIVATE"`) {
			t.Fatalf("password outside a PRIVATE note: %s", req.Body)
		}
	}
	if ok, err := r.c.HasNote(ctx, id, "req-9"); !ok || err != nil {
		t.Fatalf("HasNote %v %v", ok, err)
	}
}

func TestPublicNoteWithPasswordRefused(t *testing.T) {
	r := newRig(t)
	id := r.fake.AddTicket(acme, "Locked out", "New", time.Now())
	err := r.c.AddNote(ctx, id, psa.Note{Text: "hi", Password: identity.NewSecret(password)})
	if !errors.Is(err, psa.ErrSecretInPublicNote) || len(r.fake.Requests()) != 0 {
		t.Fatalf("%v, %d calls", err, len(r.fake.Requests()))
	}
	if err := r.c.AddNote(ctx, id, psa.Note{Text: "Public hello"}); err != nil {
		t.Fatal(err)
	}
	if n := r.fake.Notes(id); len(n) != 1 || n[0].PrivacyType != "PUBLIC" {
		t.Fatalf("%+v", n)
	}
}

func TestResolveSetsConfiguredStatusOnce(t *testing.T) {
	r := newRig(t)
	id := r.fake.AddTicket(acme, "Locked out", "New", time.Now())
	for range 2 {
		if err := r.c.Resolve(ctx, id, "Account unlocked."); err != nil {
			t.Fatal(err)
		}
	}
	tk, _ := r.fake.Ticket(id)
	if tk.Status != "Resolved" || len(r.fake.Notes(id)) != 1 || r.fake.Notes(id)[0].PrivacyType != "PRIVATE" {
		t.Fatalf("%+v %+v", tk, r.fake.Notes(id))
	}
	if got, _ := r.c.Get(ctx, id); !got.Closed {
		t.Fatal("resolved ticket not closed")
	}
}

func TestRateLimitHTTP429WaitsRetryAfter(t *testing.T) {
	r := newRig(t)
	r.fake.RateLimit(1, false, "7")
	if _, err := r.c.ListOpen(ctx, acme, "", 5); err != nil {
		t.Fatal(err)
	}
	if w := r.waits(); len(w) != 1 || w[0] != 7*time.Second {
		t.Fatalf("waits %v", w)
	}
}

func TestRateLimitInside200BacksOffAndRetriesAMutation(t *testing.T) {
	r := newRig(t)
	id := r.fake.AddTicket(acme, "Locked out", "New", time.Now())
	r.fake.RateLimit(2, true, "")
	if err := r.c.AddNote(ctx, id, psa.Note{Text: "x", Internal: true}); err != nil {
		t.Fatal(err)
	}
	if w := r.waits(); len(w) != 2 || w[0] <= 0 || w[1] <= w[0]/2 {
		t.Fatalf("waits %v", w)
	}
	if len(r.fake.Notes(id)) != 1 {
		t.Fatal("note not created exactly once")
	}
}

func TestServerErrorThenSuccess(t *testing.T) {
	r := newRig(t)
	r.fake.AddTicket(acme, "Locked out", "New", time.Now())
	r.fake.FailNext(502, 503)
	got, err := r.c.ListOpen(ctx, acme, "", 5)
	if err != nil || len(got) != 1 || len(r.waits()) != 2 {
		t.Fatalf("%v %v %v", got, err, r.waits())
	}
}

func TestLostCreateAnswerIsNotCreatedTwice(t *testing.T) {
	r := newRig(t)
	r.fake.DropNextCreates(1)
	tk, err := r.c.Create(ctx, psa.NewTicket{CompanyID: acme, Summary: "Reset for alice", Description: "d", IdempotencyKey: "req-lost", ContactEmail: "alice@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.fake.Tickets()); n != 1 || r.fake.Count("createTicket") != 1 {
		t.Fatalf("%d tickets, %d creates", n, r.fake.Count("createTicket"))
	}
	if tk.ID != r.fake.Tickets()[0].ID {
		t.Fatalf("returned %+v", tk)
	}
}

func TestLostCreateAnswerWithNothingCreatedCreatesOnce(t *testing.T) {
	r := newRig(t)
	r.fake.FailNext(502) // refused before anything happened
	if _, err := r.c.Create(ctx, psa.NewTicket{CompanyID: acme, Summary: "s", IdempotencyKey: "req-5", ContactEmail: "alice@acme.test"}); err != nil {
		t.Fatal(err)
	}
	if n := len(r.fake.Tickets()); n != 1 {
		t.Fatalf("%d tickets", n)
	}
}

func TestHealthNamesEachMisconfiguration(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*superops.Config)
		want string
	}{
		{"token", func(c *superops.Config) { c.Token = identity.NewSecret("wrong") }, "api_token_env"},
		{"subdomain", func(c *superops.Config) { c.Subdomain = "nope" }, "psa.superops.subdomain"},
		{"company", func(c *superops.Config) { c.CompanyID = "9999" }, "psa.company_id"},
		{"client name", func(c *superops.Config) { c.ClientName = "Initech" }, "psa.superops.client_name"},
		{"new status", func(c *superops.Config) { c.NewStatus = "Open" }, "psa.superops.new_status"},
		{"resolved status", func(c *superops.Config) { c.ResolvedStatus = "Done" }, "psa.superops.resolved_status"},
		{"open statuses", func(c *superops.Config) { c.OpenStatuses = []string{"New", "Waiting"} }, "psa.superops.open_statuses"},
		{"priority", func(c *superops.Config) { c.Priority = "P1" }, "psa.superops.priority"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.mod)
			err := r.c.Health(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want %q, got %v", tc.want, err)
			}
			if strings.Contains(err.Error(), token) {
				t.Fatal("token in error")
			}
		})
	}
	if err := newRig(t).c.Health(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentUse(t *testing.T) {
	r := newRig(t)
	id := r.fake.AddTicket(acme, "Locked out", "New", time.Now())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.c.ListOpen(ctx, acme, "", 5); err != nil {
				t.Error(err)
			}
			_ = r.c.AddNote(ctx, id, psa.Note{Text: "n", Internal: true, IdempotencyKey: string(rune('a' + i))})
		}()
	}
	wg.Wait()
}

func TestSecretsNeverInErrors(t *testing.T) {
	r := newRig(t, func(c *superops.Config) { c.Token = identity.NewSecret(token + "x") })
	_, err := r.c.ListOpen(ctx, acme, "", 5)
	if err == nil || strings.Contains(err.Error(), token) {
		t.Fatalf("%v", err)
	}
}

// A client busier than the marker search can see gets "cannot tell", not
// "not created": the flow then keeps the ticket pending rather than
// creating a second one.
func TestFindCreatedCannotTellForABusyClient(t *testing.T) {
	r := newRig(t)
	now := time.Now()
	for i := range 30 {
		r.fake.AddTicket(acme, fmt.Sprintf("Ticket %d", i), "New", now.Add(-time.Duration(i)*time.Minute))
	}
	if _, found, err := r.c.FindCreated(context.Background(), acme, "req-not-there"); err == nil || found {
		t.Fatalf("found %v, err %v; want an error", found, err)
	}
	r2 := newRig(t)
	r2.fake.AddTicket(acme, "One ticket", "New", now)
	if _, found, err := r2.c.FindCreated(context.Background(), acme, "req-not-there"); err != nil || found {
		t.Fatalf("a quiet client: found %v, err %v; want not found", found, err)
	}
}
