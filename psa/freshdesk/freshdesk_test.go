package freshdesk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
	"github.com/unlockbot/unlockbot/psa/freshdesk"
	"github.com/unlockbot/unlockbot/psa/freshdesk/freshdesktest"
)

const (
	apiKey   = "fd-KEY-s3cr3t-0123456789"
	password = "N3w-P4ss!word<&>"
	acme     = int64(501)
	other    = int64(777)
)

type rig struct {
	fake   *freshdesktest.Server
	c      *freshdesk.Client
	logs   *syncBuf
	sleeps *[]time.Duration
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newRig(t *testing.T, mod ...func(*freshdesk.Config)) rig {
	t.Helper()
	fake := freshdesktest.New(t, apiKey)
	fake.AddCompany(acme, "Acme")
	fake.AddCompany(other, "Other")
	fake.AddGroup(12, "Service desk")
	fake.AddContact(90, "helpdesk@msp.example", acme)
	fake.AddContact(91, "jane@acme.example", acme)
	fake.AddContact(92, "bob@other.example", other)
	logs := &syncBuf{}
	var mu sync.Mutex
	sleeps := &[]time.Duration{}
	cfg := freshdesk.Config{
		BaseURL: fake.URL, APIKey: identity.NewSecret(apiKey), CompanyID: strconv.FormatInt(acme, 10), OrgName: "Acme",
		GroupID: 12, FallbackRequesterEmail: "helpdesk@msp.example",
		Log: zerolog.New(logs).Level(zerolog.DebugLevel),
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			*sleeps = append(*sleeps, d)
			return nil
		},
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := freshdesk.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := rig{fake: fake, c: c, logs: logs, sleeps: sleeps}
	t.Cleanup(func() { r.noLeak(t) })
	return r
}

// noLeak: the API key and the password never reach a log line.
func (r rig) noLeak(t *testing.T) {
	for _, s := range []string{apiKey, password} {
		if strings.Contains(r.logs.String(), s) {
			t.Errorf("a secret is in the log")
		}
	}
}

var ctx = context.Background()

func id(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

func TestListOpenKeepsOpenTicketsOfTheCompanyNewestFirst(t *testing.T) {
	r := newRig(t)
	now := time.Now()
	a := r.fake.AddTicket(freshdesktest.Ticket{Subject: "VPN down", CompanyID: acme, Status: 2, UpdatedAt: now.Add(-3 * time.Hour)})
	b := r.fake.AddTicket(freshdesktest.Ticket{Subject: "Printer jam", CompanyID: acme, Status: 3, UpdatedAt: now.Add(-time.Hour)})
	r.fake.AddTicket(freshdesktest.Ticket{Subject: "Old resolved", CompanyID: acme, Status: 4})
	r.fake.AddTicket(freshdesktest.Ticket{Subject: "VPN other co", CompanyID: other, Status: 2})
	// Created 60 days ago, updated last week: only updated_since finds it.
	old := r.fake.AddTicket(freshdesktest.Ticket{Subject: "Laptop VPN cert", CompanyID: acme, Status: 2,
		CreatedAt: now.Add(-60 * 24 * time.Hour), UpdatedAt: now.Add(-7 * 24 * time.Hour)})
	got, err := r.c.ListOpen(ctx, "501", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, tk := range got {
		ids = append(ids, id(tk.ID))
		if tk.CompanyID != "501" || tk.Closed {
			t.Errorf("ticket %+v", tk)
		}
	}
	if want := []int64{b, a, old}; !equal(ids, want) {
		t.Fatalf("got %v, want %v", ids, want)
	}
	got, err = r.c.ListOpen(ctx, "501", "vpn", 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("query vpn: %v %v", got, err)
	}
	got, err = r.c.ListOpen(ctx, "501", strconv.FormatInt(b, 10), 10)
	if err != nil || len(got) != 1 || id(got[0].ID) != b {
		t.Fatalf("query by number: %v %v", got, err)
	}
	for _, rq := range r.fake.Requests() {
		if strings.Contains(rq.Path, "/tickets") && !strings.Contains(rq.Query, "updated_since=") {
			t.Errorf("list without updated_since: %s", rq.Query)
		}
	}
}

func TestListOpenFollowsLinkPagesAndStopsAtTheLimit(t *testing.T) {
	r := newRig(t)
	for i := 0; i < 230; i++ {
		st := 2
		if i%2 == 0 {
			st = 4 // resolved rows spread over the pages
		}
		r.fake.AddTicket(freshdesktest.Ticket{Subject: "t" + strconv.Itoa(i), CompanyID: acme, Status: st, UpdatedAt: time.Now().Add(-time.Duration(i) * time.Minute)})
	}
	got, err := r.c.ListOpen(ctx, "501", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 {
		t.Fatalf("got %d, want the bound of 50", len(got))
	}
	got, err = r.c.ListOpen(ctx, "501", "t229", 5)
	if err != nil || len(got) != 1 {
		t.Fatalf("third page: %v %v", got, err)
	}
}

func TestGetFillsCompanyAndUnknownIsNotFound(t *testing.T) {
	r := newRig(t)
	o := r.fake.AddTicket(freshdesktest.Ticket{Subject: "theirs", CompanyID: other})
	tk, err := r.c.Get(ctx, strconv.FormatInt(o, 10))
	if err != nil || tk.CompanyID != "777" || tk.Summary != "theirs" || tk.Status != "Open" {
		t.Fatalf("%+v %v", tk, err)
	}
	if _, err := r.c.Get(ctx, "999999"); !errors.Is(err, psa.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	if _, err := r.c.Get(ctx, "abc"); !errors.Is(err, psa.ErrNotFound) {
		t.Fatalf("not a number: %v", err)
	}
}

func TestCreateUsesTheCompanysContactOrTheFallback(t *testing.T) {
	r := newRig(t)
	tk, err := r.c.Create(ctx, psa.NewTicket{CompanyID: "501", Summary: strings.Repeat("s", 300), Description: "Reset for jane\nby tech <b>", IdempotencyKey: "req-1", ContactEmail: "Jane@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := r.fake.Ticket(id(tk.ID))
	if got.RequesterID != 91 || got.CompanyID != acme || got.GroupID != 12 || got.Status != 2 || got.Priority != 1 || got.Source != 2 {
		t.Fatalf("created %+v", got)
	}
	if len([]rune(got.Subject)) != 255 || !strings.Contains(got.Description, "[unlockbot request req-1]") || !strings.Contains(got.Description, "&lt;b&gt;") {
		t.Fatalf("subject/description %q %q", got.Subject, got.Description)
	}
	// A contact of another company is not made the requester.
	tk, err = r.c.Create(ctx, psa.NewTicket{CompanyID: "501", Summary: "x", Description: "d", IdempotencyKey: "req-2", ContactEmail: "bob@other.example"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = r.fake.Ticket(id(tk.ID))
	if got.RequesterID != 90 {
		t.Fatalf("requester %d, want the fallback contact 90", got.RequesterID)
	}
	found, ok, err := r.c.FindCreated(ctx, "501", "req-2")
	if err != nil || !ok || found.ID != tk.ID {
		t.Fatalf("FindCreated: %v %v %v", found, ok, err)
	}
	if _, ok, _ := r.c.FindCreated(ctx, "501", "req-"); ok {
		t.Fatal("a key prefix matched")
	}
	if _, ok, _ := r.c.FindCreated(ctx, "777", "req-2"); ok {
		t.Fatal("found in another company")
	}
}

func TestLostCreateAnswerIsNotCreatedTwice(t *testing.T) {
	r := newRig(t)
	r.fake.DropCreates(1)
	tk, err := r.c.Create(ctx, psa.NewTicket{CompanyID: "501", Summary: "lost", Description: "d", IdempotencyKey: "req-lost"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.fake.Tickets()); n != 1 {
		t.Fatalf("%d tickets, want 1", n)
	}
	if tk.Summary != "lost" {
		t.Fatalf("%+v", tk)
	}
	// A 5xx on the create is treated the same way.
	r.fake.Fail(1, 503)
	if _, err := r.c.Create(ctx, psa.NewTicket{CompanyID: "501", Summary: "five", Description: "d", IdempotencyKey: "req-5xx"}); err != nil {
		t.Fatal(err)
	}
	if n := len(r.fake.Tickets()); n != 2 {
		t.Fatalf("%d tickets, want 2", n)
	}
}

func TestPasswordNoteIsPrivateWithoutNotifications(t *testing.T) {
	r := newRig(t)
	tid := r.fake.AddTicket(freshdesktest.Ticket{Subject: "s", CompanyID: acme})
	sid := strconv.FormatInt(tid, 10)
	n := psa.Note{Text: "Reset done", Internal: true, Password: identity.NewSecret(password), IdempotencyKey: "req-9/note"}
	if err := r.c.AddNote(ctx, sid, n); err != nil {
		t.Fatal(err)
	}
	if err := r.c.AddNote(ctx, sid, n); err != nil { // repeated: skipped
		t.Fatal(err)
	}
	notes := r.fake.Notes(tid)
	if len(notes) != 1 {
		t.Fatalf("%d notes", len(notes))
	}
	// On the wire: "private":true and no notify_emails.
	for _, rq := range r.fake.Requests() {
		if !strings.HasSuffix(rq.Path, "/notes") {
			continue
		}
		var body map[string]any
		if err := json.Unmarshal(rq.Body, &body); err != nil {
			t.Fatal(err)
		}
		if body["private"] != true {
			t.Errorf("private = %v", body["private"])
		}
		if _, ok := body["notify_emails"]; ok {
			t.Errorf("notify_emails sent")
		}
		if !strings.Contains(body["body"].(string), "N3w-P4ss!word&lt;&amp;&gt;") {
			t.Errorf("password not in the private note, escaped: %s", body["body"])
		}
	}
	if ok, err := r.c.HasNote(ctx, sid, "req-9/note"); err != nil || !ok {
		t.Fatalf("HasNote %v %v", ok, err)
	}
	if ok, _ := r.c.HasNote(ctx, sid, "req-9"); ok {
		t.Fatal("prefix matched")
	}
}

func TestPublicNoteWithPasswordIsRefused(t *testing.T) {
	r := newRig(t)
	tid := r.fake.AddTicket(freshdesktest.Ticket{Subject: "s", CompanyID: acme})
	err := r.c.AddNote(ctx, strconv.FormatInt(tid, 10), psa.Note{Text: "x", Password: identity.NewSecret(password)})
	if !errors.Is(err, psa.ErrSecretInPublicNote) {
		t.Fatalf("%v", err)
	}
	if len(r.fake.Requests()) != 0 {
		t.Fatal("a request was sent")
	}
	// A public note without a password is public.
	if err := r.c.AddNote(ctx, strconv.FormatInt(tid, 10), psa.Note{Text: "visible"}); err != nil {
		t.Fatal(err)
	}
	if ns := r.fake.Notes(tid); len(ns) != 1 || ns[0].Private {
		t.Fatalf("%+v", ns)
	}
}

func TestLostNoteAnswerIsNotPostedTwice(t *testing.T) {
	r := newRig(t)
	tid := r.fake.AddTicket(freshdesktest.Ticket{Subject: "s", CompanyID: acme})
	// The note is made but the answer is lost; the client finds it by
	// its marker instead of posting again.
	r.fake.DropNotes(1)
	if err := r.c.AddNote(ctx, strconv.FormatInt(tid, 10), psa.Note{Text: "n", Internal: true, IdempotencyKey: "k1"}); err != nil {
		t.Fatal(err)
	}
	if ns := r.fake.Notes(tid); len(ns) != 1 {
		t.Fatalf("%d notes", len(ns))
	}
}

func TestResolveSetsTheConfiguredStatusOnce(t *testing.T) {
	r := newRig(t, func(c *freshdesk.Config) { c.ResolvedStatus = 5 })
	tid := r.fake.AddTicket(freshdesktest.Ticket{Subject: "s", CompanyID: acme})
	sid := strconv.FormatInt(tid, 10)
	for range 2 {
		if err := r.c.Resolve(ctx, sid, "Password reset; closing"); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := r.fake.Ticket(tid)
	if got.Status != 5 {
		t.Fatalf("status %d", got.Status)
	}
	if ns := r.fake.Notes(tid); len(ns) != 1 || !ns[0].Private {
		t.Fatalf("notes %+v", ns)
	}
	if err := r.c.Resolve(ctx, "424242", "x"); !errors.Is(err, psa.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
}

func TestRateLimitWaitsTheAdvisedTime(t *testing.T) {
	r := newRig(t)
	r.fake.RateLimit(2, 7)
	if _, err := r.c.ListOpen(ctx, "501", "", 5); err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{7 * time.Second, 7 * time.Second}; !equalD(*r.sleeps, want) {
		t.Fatalf("slept %v, want %v", *r.sleeps, want)
	}
	r.fake.RateLimit(10, 1)
	var ae *freshdesk.APIError
	if _, err := r.c.ListOpen(ctx, "501", "", 5); !errors.As(err, &ae) || ae.Status != 429 {
		t.Fatalf("bounded retries: %v", err)
	}
}

func TestServerErrorThenSuccess(t *testing.T) {
	r := newRig(t)
	tid := r.fake.AddTicket(freshdesktest.Ticket{Subject: "s", CompanyID: acme})
	r.fake.Fail(2, 500)
	if _, err := r.c.Get(ctx, strconv.FormatInt(tid, 10)); err != nil {
		t.Fatal(err)
	}
	if len(*r.sleeps) != 2 {
		t.Fatalf("slept %v", *r.sleeps)
	}
	for _, d := range *r.sleeps {
		if d < 500*time.Millisecond || d > 1500*time.Millisecond {
			t.Fatalf("backoff %v", d)
		}
	}
}

func TestHealthNamesEachMisconfiguration(t *testing.T) {
	r := newRig(t)
	if err := r.c.Health(ctx); err != nil {
		t.Fatalf("healthy: %v", err)
	}
	bad := newRig(t, func(c *freshdesk.Config) {
		c.CompanyID, c.GroupID, c.ResolvedStatus, c.FallbackRequesterEmail = "404", 13, 9, "nobody@msp.example"
	})
	err := bad.c.Health(ctx)
	for _, want := range []string{
		"Freshdesk has no company id 404 for Acme: check psa.company_id",
		"Freshdesk refused the group id 13 for Acme: check psa.freshdesk.group_id",
		"Freshdesk has no ticket status 9 for Acme: check psa.freshdesk.resolved_status",
		"check psa.freshdesk.fallback_requester_email",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	wrong := newRig(t, func(c *freshdesk.Config) { c.APIKey = identity.NewSecret("wrong-" + apiKey) })
	err = wrong.c.Health(ctx)
	if err == nil || err.Error() != "Freshdesk refused the API key for Acme: check psa.freshdesk.api_key_env or api_key_file" {
		t.Fatalf("%v", err)
	}
	if strings.Contains(err.Error(), apiKey) {
		t.Fatal("key in error")
	}
}

func TestBadRequestShowsFreshdesksValidationErrors(t *testing.T) {
	r := newRig(t, func(c *freshdesk.Config) { c.GroupID = 13 })
	r.fake.AllowViolations = true
	_, err := r.c.Create(ctx, psa.NewTicket{CompanyID: "501", Summary: "x", Description: "d", IdempotencyKey: "k"})
	var ae *freshdesk.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || len(ae.Errors) != 1 || ae.Errors[0].Field != "group_id" {
		t.Fatalf("%v", err)
	}
	if len(r.fake.Tickets()) != 0 {
		t.Fatal("created")
	}
}

func TestConcurrentUse(t *testing.T) {
	r := newRig(t)
	tid := r.fake.AddTicket(freshdesktest.Ticket{Subject: "s", CompanyID: acme})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_, _ = r.c.ListOpen(ctx, "501", "", 5)
			_ = r.c.AddNote(ctx, strconv.FormatInt(tid, 10), psa.Note{Text: "n", Internal: true, IdempotencyKey: "c" + strconv.Itoa(i)})
		})
	}
	wg.Wait()
	if n := len(r.fake.Notes(tid)); n != 8 {
		t.Fatalf("%d notes", n)
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalD(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
