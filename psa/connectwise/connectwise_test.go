package connectwise_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
	"github.com/unlockbot/unlockbot/psa/connectwise"
	"github.com/unlockbot/unlockbot/psa/connectwise/connectwisetest"
)

const (
	pubKey  = "PUBKEY-aZ19"
	privKey = "PRIVKEY-s3cr3t-q7"
	acme    = 250
	other   = 251
)

var creds = connectwisetest.Credentials{Company: "msp", PublicKey: pubKey, PrivateKey: privKey, ClientID: "5f0c0ab4-1111-4e2b-9c8f-0123456789ab"}

type rig struct {
	fake   *connectwisetest.Server
	client *connectwise.Client
	logs   *bytes.Buffer
	mu     sync.Mutex
	waits  []time.Duration
}

func newRig(t *testing.T, mod ...func(*connectwise.Config)) *rig {
	t.Helper()
	r := &rig{fake: connectwisetest.New(t, creds), logs: &bytes.Buffer{}}
	r.fake.AddCompany(connectwisetest.Company{ID: acme, Identifier: "Acme", Name: "Acme Corp"})
	r.fake.AddCompany(connectwisetest.Company{ID: other, Identifier: "Globex", Name: "Globex"})
	r.fake.AddContact(connectwisetest.Contact{ID: 77, CompanyID: acme, FirstName: "Ann", LastName: "Lee", Email: "ann@acme.example"})
	r.fake.AddContact(connectwisetest.Contact{ID: 78, CompanyID: other, FirstName: "Bob", LastName: "Ray", Email: "bob@acme.example"})
	r.fake.AddBoard(12, connectwisetest.Status{ID: 1, Name: "New"}, connectwisetest.Status{ID: 7, Name: "Closed", Closed: true})
	r.fake.AddBoardType(12, 30)
	r.fake.AddPriority(4, "Priority 3 - Normal")
	cfg := connectwise.Config{
		BaseURL: r.fake.URL, Company: creds.Company, PublicKey: identity.NewSecret(pubKey), PrivateKey: identity.NewSecret(privKey),
		ClientID: creds.ClientID, CompanyID: strconv.Itoa(acme), OrgName: "Acme",
		BoardID: 12, StatusID: 1, ClosedStatusID: 7, TypeID: 30, PriorityID: 4,
		Log: zerolog.New(r.logs).Level(zerolog.DebugLevel),
		Sleep: func(_ context.Context, d time.Duration) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.waits = append(r.waits, d)
			return nil
		},
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := connectwise.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.client = c
	t.Cleanup(func() {
		// No secret ever reaches the log.
		for _, s := range []string{pubKey, privKey, "Hunter2-Pw!"} {
			if strings.Contains(r.logs.String(), s) {
				t.Errorf("log holds a secret %q", s)
			}
		}
	})
	return r
}

var ctx = context.Background()

func TestListGetCreateNoteResolve(t *testing.T) {
	r := newRig(t)
	old := r.fake.AddTicket(connectwisetest.Ticket{Summary: "Printer jam", CompanyID: acme, BoardID: 12, StatusID: 1})
	r.fake.AddTicket(connectwisetest.Ticket{Summary: "Closed thing", CompanyID: acme, BoardID: 12, StatusID: 7, Closed: true})
	r.fake.AddTicket(connectwisetest.Ticket{Summary: "Globex password", CompanyID: other, BoardID: 12, StatusID: 1})

	tk, err := r.client.Create(ctx, psa.NewTicket{CompanyID: "250", Summary: "Password reset for ann " + strings.Repeat("x", 120),
		Description: "Asked by tech; approved by lead", IdempotencyKey: "req-1", ContactEmail: "ann@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if tk.CompanyID != "250" || tk.Closed || tk.Status != "New" {
		t.Fatalf("created %+v", tk)
	}
	id, _ := strconv.Atoi(tk.ID)
	got, _ := r.fake.Ticket(id)
	if got.ContactID != 77 || got.TypeID != 30 || got.PriorityID != 4 || got.BoardID != 12 || len([]rune(got.Summary)) != 100 ||
		!strings.Contains(got.InitialInternalAnalysis, "req-1") || got.InitialDescription != "Asked by tech; approved by lead" {
		t.Fatalf("on the wire: %+v", got)
	}

	list, err := r.client.ListOpen(ctx, "250", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != tk.ID || list[1].ID != strconv.Itoa(old) {
		t.Fatalf("open list %+v", list)
	}
	if list, _ = r.client.ListOpen(ctx, "250", "PRINTER", 10); len(list) != 1 || list[0].Summary != "Printer jam" {
		t.Fatalf("query by word %+v", list)
	}
	if list, _ = r.client.ListOpen(ctx, "250", strconv.Itoa(old), 10); len(list) != 1 {
		t.Fatalf("query by number %+v", list)
	}

	if err := r.client.AddNote(ctx, tk.ID, psa.Note{Text: "Reset done", Internal: true, Password: identity.NewSecret("Hunter2-Pw!"), IdempotencyKey: "n1"}); err != nil {
		t.Fatal(err)
	}
	if err := r.client.AddNote(ctx, tk.ID, psa.Note{Text: "Your account is unlocked", IdempotencyKey: "n2"}); err != nil {
		t.Fatal(err)
	}
	notes := r.fake.Notes(id)
	if len(notes) != 2 {
		t.Fatalf("notes %+v", notes)
	}
	pw := notes[0]
	if !strings.Contains(pw.Text, "Hunter2-Pw!") || pw.InternalAnalysisFlag == nil || !*pw.InternalAnalysisFlag ||
		pw.ProcessNotifications == nil || *pw.ProcessNotifications || *pw.DetailDescriptionFlag || *pw.ResolutionFlag {
		t.Fatalf("password note on the wire: internal=%v notify=%v", pw.InternalAnalysisFlag, pw.ProcessNotifications)
	}
	if pub := notes[1]; *pub.InternalAnalysisFlag || !*pub.DetailDescriptionFlag || *pub.ProcessNotifications {
		t.Fatalf("public note flags %+v", pub)
	}
	for _, k := range []string{"n1", "n2"} {
		if has, err := r.client.HasNote(ctx, tk.ID, k); err != nil || !has {
			t.Fatalf("HasNote %s: %v %v", k, has, err)
		}
	}
	if has, _ := r.client.HasNote(ctx, tk.ID, "n3"); has {
		t.Fatal("HasNote of a key never used")
	}

	if err := r.client.Resolve(ctx, tk.ID, "Resolved by unlockbot"); err != nil {
		t.Fatal(err)
	}
	if err := r.client.Resolve(ctx, tk.ID, "Resolved by unlockbot"); err != nil { // already closed: nothing
		t.Fatal(err)
	}
	got, _ = r.fake.Ticket(id)
	notes = r.fake.Notes(id)
	if !got.Closed || got.StatusID != 7 || len(notes) != 3 || !*notes[2].ResolutionFlag {
		t.Fatalf("resolved %+v, %d notes", got, len(notes))
	}
	if f, ok, err := r.client.FindCreated(ctx, "250", "req-1"); err != nil || !ok || f.ID != tk.ID {
		t.Fatalf("FindCreated %v %v %v", f, ok, err)
	}
	if _, ok, err := r.client.FindCreated(ctx, "251", "req-1"); err != nil || ok {
		t.Fatalf("FindCreated in another company %v %v", ok, err)
	}
}

func TestOtherCompanyAndNotFound(t *testing.T) {
	r := newRig(t)
	g := r.fake.AddTicket(connectwisetest.Ticket{Summary: "Globex", CompanyID: other, BoardID: 12, StatusID: 1})
	tk, err := r.client.Get(ctx, strconv.Itoa(g))
	if err != nil || tk.CompanyID != "251" {
		t.Fatalf("got %+v %v", tk, err)
	}
	for _, id := range []string{"424242", "abc"} {
		if _, err := r.client.Get(ctx, id); !errors.Is(err, psa.ErrNotFound) {
			t.Fatalf("Get %s: %v", id, err)
		}
	}
	if err := r.client.AddNote(ctx, "424242", psa.Note{Text: "x", Internal: true}); !errors.Is(err, psa.ErrNotFound) {
		t.Fatalf("AddNote unknown: %v", err)
	}
}

func TestPasswordOnlyInInternalNote(t *testing.T) {
	r := newRig(t)
	id := r.fake.AddTicket(connectwisetest.Ticket{Summary: "x", CompanyID: acme, BoardID: 12, StatusID: 1})
	err := r.client.AddNote(ctx, strconv.Itoa(id), psa.Note{Text: "hi", Password: identity.NewSecret("Hunter2-Pw!")})
	if !errors.Is(err, psa.ErrSecretInPublicNote) {
		t.Fatalf("got %v", err)
	}
	if len(r.fake.Requests()) != 0 {
		t.Fatal("a refused public password note still went out")
	}
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	r := newRig(t)
	r.fake.RateLimit(2, "7")
	if _, err := r.client.ListOpen(ctx, "250", "", 5); err != nil {
		t.Fatal(err)
	}
	if len(r.waits) != 2 || r.waits[0] != 7*time.Second || r.waits[1] != 7*time.Second {
		t.Fatalf("waits %v", r.waits)
	}
	// A 429 on create is safe to repeat: the server did nothing.
	r.fake.RateLimit(1, "3")
	if _, err := r.client.Create(ctx, psa.NewTicket{CompanyID: "250", Summary: "s", IdempotencyKey: "k"}); err != nil {
		t.Fatal(err)
	}
	if n := len(r.fake.Tickets()); n != 1 {
		t.Fatalf("%d tickets", n)
	}
}

func TestServerErrorThenSuccess(t *testing.T) {
	r := newRig(t)
	r.fake.Fail(2, 503)
	if _, err := r.client.ListOpen(ctx, "250", "", 5); err != nil {
		t.Fatal(err)
	}
	if len(r.waits) != 2 || r.waits[0] <= 0 || r.waits[1] < 500*time.Millisecond {
		t.Fatalf("waits %v", r.waits)
	}
	// A 5xx on create: look first, then create once.
	r.fake.Fail(1, 500)
	if _, err := r.client.Create(ctx, psa.NewTicket{CompanyID: "250", Summary: "s", IdempotencyKey: "k5"}); err != nil {
		t.Fatal(err)
	}
	if n := len(r.fake.Tickets()); n != 1 {
		t.Fatalf("%d tickets", n)
	}
	// Retries are bounded and the technician reads one sentence.
	r.fake.Fail(10, 502)
	_, err := r.client.ListOpen(ctx, "250", "", 5)
	if err == nil || !strings.HasPrefix(err.Error(), "ConnectWise had an internal error") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v", err)
	}
}

func TestLostCreateAnswerIsNotCreatedTwice(t *testing.T) {
	r := newRig(t)
	r.fake.DropCreateAnswer(1)
	tk, err := r.client.Create(ctx, psa.NewTicket{CompanyID: "250", Summary: "Reset", IdempotencyKey: "req-9"})
	if err != nil {
		t.Fatal(err)
	}
	if all := r.fake.Tickets(); len(all) != 1 || strconv.Itoa(all[0].ID) != tk.ID {
		t.Fatalf("tickets %+v, returned %+v", all, tk)
	}
	// The same for a note.
	r.fake.DropNoteAnswer(1)
	if err := r.client.AddNote(ctx, tk.ID, psa.Note{Text: "done", Internal: true, IdempotencyKey: "n"}); err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.Atoi(tk.ID)
	if n := len(r.fake.Notes(id)); n != 1 {
		t.Fatalf("%d notes", n)
	}
	// Without a key a lost answer is reported, never repeated.
	r.fake.DropCreateAnswer(1)
	if _, err := r.client.Create(ctx, psa.NewTicket{CompanyID: "250", Summary: "no key"}); err == nil {
		t.Fatal("a lost create without a key was reported as done")
	}
	if n := len(r.fake.Tickets()); n != 2 {
		t.Fatalf("%d tickets", n)
	}
}

func TestHealth(t *testing.T) {
	r := newRig(t)
	if err := r.client.Health(ctx); err != nil {
		t.Fatal(err)
	}
	bad := newRig(t, func(c *connectwise.Config) {
		c.CompanyID, c.BoardID = "999", 13
		c.PriorityID = 5
	})
	err := bad.client.Health(ctx)
	for _, want := range []string{
		"ConnectWise has no company id 999 for Acme: check psa.company_id",
		"ConnectWise refused the board id 13 for Acme: check psa.connectwise.board_id",
		"ConnectWise has no priority id 5 for Acme: check psa.connectwise.priority_id",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Health: %v\nwant %q", err, want)
		}
	}
	st := newRig(t, func(c *connectwise.Config) { c.StatusID, c.ClosedStatusID, c.TypeID = 7, 1, 31 })
	err = st.client.Health(ctx)
	for _, want := range []string{"check psa.connectwise.status_id", "is not a closed status", "check psa.connectwise.closed_status_id", "no type id 31"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Health: %v\nwant %q", err, want)
		}
	}
	keys := newRig(t, func(c *connectwise.Config) { c.PrivateKey = identity.NewSecret("wrong-" + privKey) })
	err = keys.client.Health(ctx)
	if err == nil || !strings.Contains(err.Error(), "refused unlockbot's API keys for Acme") || strings.Contains(err.Error(), privKey) {
		t.Fatalf("bad keys: %v", err)
	}
	cid := newRig(t, func(c *connectwise.Config) { c.ClientID = "nope" })
	if err := cid.client.Health(ctx); err == nil || !strings.Contains(err.Error(), "client_id") {
		t.Fatalf("bad clientId: %v", err)
	}
}

// Many goroutines on one client: no races, no duplicate creates.
func TestConcurrent(t *testing.T) {
	r := newRig(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk, err := r.client.Create(ctx, psa.NewTicket{CompanyID: "250", Summary: "s", IdempotencyKey: "c" + strconv.Itoa(i)})
			if err == nil {
				err = r.client.AddNote(ctx, tk.ID, psa.Note{Text: "n", Internal: true, IdempotencyKey: "k"})
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(r.fake.Tickets()); n != 8 {
		t.Fatalf("%d tickets", n)
	}
}

// Both forms of the status patch are accepted by the fake's contract.
func TestFakeAcceptsBothPatchForms(t *testing.T) {
	r := newRig(t)
	id := r.fake.AddTicket(connectwisetest.Ticket{Summary: "x", CompanyID: acme, BoardID: 12, StatusID: 1})
	if err := r.client.Resolve(ctx, strconv.Itoa(id), ""); err != nil {
		t.Fatal(err)
	}
	if tk, _ := r.fake.Ticket(id); !tk.Closed {
		t.Fatal("not closed")
	}
	id2 := r.fake.AddTicket(connectwisetest.Ticket{Summary: "y", CompanyID: acme, BoardID: 12, StatusID: 1})
	if code := r.fake.Do(t, "PATCH", "/service/tickets/"+strconv.Itoa(id2), `[{"op":"replace","path":"status/id","value":7}]`); code != 200 {
		t.Fatalf("scalar form: %d", code)
	}
	if code := r.fake.Do(t, "POST", "/service/tickets", `{"summary":5,"company":{"id":250}}`); code != 400 {
		t.Fatalf("a summary of the wrong type: %d", code)
	}
	if v := r.fake.Violations(); len(v) != 1 || !strings.Contains(v[0], "summary") {
		t.Fatalf("violations %v", v)
	}
	r.fake.AllowViolations()
}

// A ConnectWise that quotes the note back in its error (JSON-escaped, so
// not byte for byte what was sent) puts the password in neither the
// technician's sentence nor the log.
func TestEchoedNoteDoesNotLeakThePassword(t *testing.T) {
	const pw = `Tr0ub"le&<x>`
	var posted atomic.Bool
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet { // the notes looked up before posting: none yet
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, "[]")
			return
		}
		body, _ := io.ReadAll(r.Body)
		posted.Store(strings.Contains(string(body), `Tr0ub"le`))
		var note struct{ Text string }
		_ = json.Unmarshal(body, &note)
		posted.Store(strings.Contains(note.Text, pw))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": "InvalidObject", "message": "note invalid: " + note.Text,
			"errors": []map[string]string{{"code": "InvalidField", "field": "text", "message": "text is invalid: " + note.Text}}})
	}))
	defer echo.Close()
	r := newRig(t, func(c *connectwise.Config) { c.BaseURL = echo.URL; c.MaxRetries = -1 })
	err := r.client.AddNote(context.Background(), "5", psa.Note{Text: "hi", Internal: true, Password: identity.NewSecret(pw), IdempotencyKey: "k1"})
	if err == nil || !posted.Load() {
		t.Fatalf("the note with the password was not posted (%v) or its refusal not reported: %v", posted.Load(), err)
	}
	var sm interface{ SafeMessage() string }
	if !errors.As(err, &sm) || strings.Contains(sm.SafeMessage(), "Tr0ub") || strings.Contains(err.Error(), "Tr0ub") || strings.Contains(r.logs.String(), "Tr0ub") {
		t.Fatalf("the password leaked: sentence %v\nerror %v\nlog %s", sm, err, r.logs.String())
	}
}

// The client's own timeout on a read is retried like a dropped
// connection (it reads as a deadline, but the caller still waits).
func TestTimedOutReadIsRetried(t *testing.T) {
	var calls atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			time.Sleep(300 * time.Millisecond)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":5,"summary":"Locked out","company":{"id":250},"status":{"name":"New"},"closedFlag":false}`)
	}))
	defer slow.Close()
	r := newRig(t, func(c *connectwise.Config) {
		c.BaseURL = slow.URL
		c.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond}
	})
	tk, err := r.client.Get(context.Background(), "5")
	if err != nil || tk.Summary != "Locked out" || calls.Load() != 2 {
		t.Fatalf("ticket %+v, err %v, %d calls; want the timed-out read retried once", tk, err, calls.Load())
	}
}
