package kaseyabms_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
	"github.com/unlockbot/unlockbot/psa/kaseyabms/kaseyabmstest"
)

func TestListGetCreateNoteResolve(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	ctx := context.Background()
	now := e.clk.Now()
	old := e.fake.AddTicket(kaseyabmstest.Ticket{AccountID: 250, LocationID: 11, StatusID: 1, Title: "Printer on floor 2 jams", CreatedOn: now.Add(-48 * time.Hour)})
	newer := e.fake.AddTicket(kaseyabmstest.Ticket{AccountID: 250, LocationID: 11, StatusID: 1, Title: "Locked account bob", CreatedOn: now.Add(-time.Hour)})
	e.fake.AddTicket(kaseyabmstest.Ticket{AccountID: 250, LocationID: 11, StatusID: 5, Title: "Locked account done", Completed: now})
	other := e.fake.AddTicket(kaseyabmstest.Ticket{AccountID: 300, LocationID: 31, StatusID: 1, Title: "Locked account at Other"})

	list, err := c.ListOpen(ctx, "250", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != strconv.Itoa(newer) || list[1].ID != strconv.Itoa(old) {
		t.Fatalf("open tickets of Acme, newest first: %+v", list)
	}
	if list, _ := c.ListOpen(ctx, "250", "LOCKED bob", 10); len(list) != 1 || list[0].ID != strconv.Itoa(newer) {
		t.Fatalf("word query: %+v", list)
	}
	if list, _ := c.ListOpen(ctx, "250", strconv.Itoa(old), 10); len(list) != 1 || list[0].ID != strconv.Itoa(old) {
		t.Fatalf("number query: %+v", list)
	}
	if list, _ := c.ListOpen(ctx, "250", "", 1); len(list) != 1 {
		t.Fatalf("limit: %+v", list)
	}

	tk, err := c.Get(ctx, strconv.Itoa(other))
	if err != nil || tk.CompanyID != "300" {
		t.Fatalf("ticket of another company must say so: %+v %v", tk, err)
	}
	for _, id := range []string{"999999", "abc"} {
		if _, err := c.Get(ctx, id); !errors.Is(err, psa.ErrNotFound) {
			t.Fatalf("Get(%s): want ErrNotFound, got %v", id, err)
		}
	}

	created, err := c.Create(ctx, psa.NewTicket{CompanyID: "250", Summary: "Unlock jane", Description: "Asked by tech1.", IdempotencyKey: "req-1", ContactEmail: "JANE@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.Atoi(created.ID)
	ft, ok := e.fake.Ticket(id)
	if !ok || ft.ContactID != 7001 || ft.LocationID != 11 || ft.StatusID != 1 || ft.TypeID != 3 || ft.PriorityID != 2 || ft.SourceID != 4 ||
		!strings.Contains(ft.Details, "[unlockbot request req-1]") || created.CompanyID != "250" || created.Number == "" {
		t.Fatalf("created: %+v on the wire %+v", created, ft)
	}
	if got, ok, err := c.FindCreated(ctx, "250", "req-1"); err != nil || !ok || got.ID != created.ID {
		t.Fatalf("FindCreated: %+v %v %v", got, ok, err)
	}
	if _, ok, _ := c.FindCreated(ctx, "250", "req-"); ok {
		t.Fatal("a key prefix must not match")
	}
	if _, ok, _ := c.FindCreated(ctx, "300", "req-1"); ok {
		t.Fatal("found in another company")
	}

	pw := identity.NewSecret("N3w-Reset-Pw#42")
	if err := c.AddNote(ctx, created.ID, psa.Note{Text: "Reset done.", Internal: true, Password: pw, IdempotencyKey: "note-1"}); err != nil {
		t.Fatal(err)
	}
	notes := e.fake.Notes(id)
	if len(notes) != 1 || !notes[0].IsInternal || notes[0].EmailNotification != nil || notes[0].TypeID != 6 ||
		!strings.Contains(notes[0].Details, "N3w-Reset-Pw#42") || !strings.Contains(notes[0].Details, "[unlockbot note note-1]") {
		t.Fatalf("password note on the wire: %+v", notes)
	}
	if has, err := c.HasNote(ctx, created.ID, "note-1"); err != nil || !has {
		t.Fatalf("HasNote: %v %v", has, err)
	}
	if has, _ := c.HasNote(ctx, created.ID, "note-2"); has {
		t.Fatal("HasNote of an unknown key")
	}
	before := len(e.fake.Requests())
	if err := c.AddNote(ctx, created.ID, psa.Note{Text: "hi", Internal: false, Password: pw}); !errors.Is(err, psa.ErrSecretInPublicNote) {
		t.Fatalf("public note with a password: %v", err)
	}
	if len(e.fake.Requests()) != before {
		t.Fatal("a refused public note must not reach the server")
	}
	if err := c.AddNote(ctx, created.ID, psa.Note{Text: "Public update.", IdempotencyKey: "note-3"}); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Notes(id); len(n) != 2 || n[1].IsInternal {
		t.Fatalf("public note: %+v", n)
	}

	if err := c.Resolve(ctx, created.ID, "Account unlocked."); err != nil {
		t.Fatal(err)
	}
	if ft, _ := e.fake.Ticket(id); ft.Completed.IsZero() || ft.StatusID != 5 {
		t.Fatalf("resolved: %+v", ft)
	}
	if err := c.Resolve(ctx, created.ID, "again"); err != nil {
		t.Fatalf("resolving a resolved ticket: %v", err)
	}
	if got, _ := c.Get(ctx, created.ID); !got.Closed {
		t.Fatalf("Get after resolve: %+v", got)
	}
	if err := c.Resolve(ctx, "999999", "x"); !errors.Is(err, psa.ErrNotFound) {
		t.Fatalf("Resolve unknown: %v", err)
	}
}

func TestRetryAfter429(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	e.fake.AddTicket(kaseyabmstest.Ticket{AccountID: 250, LocationID: 11, StatusID: 1, Title: "x"})
	if _, err := c.ListOpen(context.Background(), "250", "", 5); err != nil { // log in first
		t.Fatal(err)
	}
	e.fake.Throttle(2, "7")
	list, err := c.ListOpen(context.Background(), "250", "", 5)
	if err != nil || len(list) != 1 {
		t.Fatalf("%v %v", list, err)
	}
	if s := e.Sleeps(); len(s) != 2 || s[0] != 7*time.Second || s[1] != 7*time.Second {
		t.Fatalf("want two waits of the advised 7s, got %v", s)
	}
}

func TestRateLimitInsideHTTP200(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	e.fake.ThrottleInBody(1)
	if _, err := c.ListOpen(context.Background(), "250", "", 5); err != nil {
		t.Fatal(err)
	}
	if len(e.Sleeps()) != 1 {
		t.Fatalf("want one backoff, got %v", e.Sleeps())
	}
	e.fake.ThrottleInBody(10)
	_, err := c.ListOpen(context.Background(), "250", "", 5)
	if err == nil || !strings.Contains(err.Error(), "Kaseya BMS") {
		t.Fatalf("bounded retries must give up with one sentence: %v", err)
	}
}

func TestHourlyLimit(t *testing.T) {
	e := newEnv(t)
	e.fake.HourlyLimit = 2
	c := e.client(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := c.ListOpen(ctx, "250", "", 5); err != nil {
			t.Fatal(err)
		}
	}
	e.cfg.MaxRetries = 1
	_, err := kaseyabmsNewMust(t, e).ListOpen(ctx, "250", "", 5)
	if err == nil {
		t.Fatal("the third search of the hour must be refused")
	}
	// The window the server names is an hour away: not waited out inside
	// the call (the flow retries the ticket later).
	if s := e.Sleeps(); len(s) != 0 {
		t.Fatalf("waited %v inside the call", s)
	}
}

func Test5xxThenSuccess(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	ctx := context.Background()
	e.fake.Fail5xx(1)
	if _, err := c.ListOpen(ctx, "250", "", 5); err != nil {
		t.Fatal(err)
	}
	e.fake.Fail5xx(1)
	tk, err := c.Create(ctx, psa.NewTicket{CompanyID: "250", Summary: "after a 500", IdempotencyKey: "k5"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.Tickets()); n != 1 || tk.ID == "" {
		t.Fatalf("want exactly one ticket, got %d", n)
	}
}

func TestLostAnswerNotRepeated(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	ctx := context.Background()
	e.fake.DropCreateAnswers(1)
	tk, err := c.Create(ctx, psa.NewTicket{CompanyID: "250", Summary: "lost answer", IdempotencyKey: "lost-1"})
	if err != nil {
		t.Fatal(err)
	}
	all := e.fake.Tickets()
	if len(all) != 1 || strconv.Itoa(all[0].ID) != tk.ID {
		t.Fatalf("created twice or not found: %+v vs %+v", all, tk)
	}
	posts := 0
	for _, r := range e.fake.Requests() {
		if r.Method == "POST" && r.Path == "/v2/servicedesk/tickets" {
			posts++
		}
	}
	if posts != 1 {
		t.Fatalf("POSTed %d times", posts)
	}
	e.fake.DropNoteAnswers(1)
	if err := c.AddNote(ctx, tk.ID, psa.Note{Text: "once", Internal: true, IdempotencyKey: "n1"}); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Notes(all[0].ID); len(n) != 1 {
		t.Fatalf("note posted %d times", len(n))
	}
}

func kaseyabmsNewMust(t *testing.T, e *env) interface {
	ListOpen(context.Context, string, string, int) ([]psa.Ticket, error)
} {
	return e.client(t)
}

// An account with more open tickets than the picker reads (BMS answers
// oldest first) still shows its newest first: the last pages are read.
func TestListOpenShowsTheNewestOfABusyAccount(t *testing.T) {
	e := newEnv(t)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 260 {
		at := base.Add(time.Duration(i) * time.Hour)
		e.fake.AddTicket(kaseyabmstest.Ticket{AccountID: 250, LocationID: 11, StatusID: 1, Title: fmt.Sprintf("Ticket %d", i), CreatedOn: at, ModifiedOn: at, OpenDate: at})
	}
	got, err := e.client(t).ListOpen(context.Background(), "250", "", 5)
	if err != nil || len(got) != 5 || got[0].Summary != "Ticket 259" || got[4].Summary != "Ticket 255" {
		t.Fatalf("%v %+v", err, got)
	}
}
