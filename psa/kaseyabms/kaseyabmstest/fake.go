// Package kaseyabmstest is a strict fake of the Kaseya BMS v2 API for
// tests: every request is validated against the vendor's own OpenAPI file
// (trimmed, testdata/), auth works as BMS's does (authenticate, bearer,
// refreshtoken), errors come in BMS's envelope — also inside HTTP 200 —
// and faults (429, in-200 rate limiting, 5xx, lost answers) are knobs.
package kaseyabmstest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"
)

// Lookup table names the fake serves (the client reads the same ones).
const (
	TableStatuses   = "TicketStatus"
	TablePriorities = "TicketPriority"
	TableTypes      = "TicketType"
	TableSources    = "TicketSource"
	TableNoteTypes  = "NoteType"
)

// Ticket is a ticket as the fake holds it.
type Ticket struct {
	ID, AccountID, LocationID, ContactID       int
	StatusID, PriorityID, TypeID, SourceID     int
	Number, Title, Details                     string
	OpenDate, CreatedOn, ModifiedOn, Completed time.Time
}

// Note is a note as received; EmailNotification is the raw field (nil when
// the client left it out), so a test can assert nobody was notified.
type Note struct {
	ID, TicketID, TypeID int
	Details              string
	IsInternal           bool
	NoteDate             string
	EmailNotification    json.RawMessage
}

// Request is one received call, for leak scans and assertions.
type Request struct {
	Method, Path, Query, ContentType, Authorization string
	Body                                            string
}

type account struct {
	id        int
	name      string
	locations []int
}

type contact struct {
	id, account int
	email       string
}

type lookup struct {
	id   int
	name string
}

// Server is the fake. Zero knobs mean a well-behaved BMS.
type Server struct {
	*httptest.Server
	t        testing.TB
	contract *contract

	mu       sync.Mutex
	tenant   string
	user     string
	password string
	access   map[string]time.Time // token → expiry
	refresh  map[string]time.Time
	accounts map[int]*account
	contacts []contact
	lookups  map[string][]lookup
	tickets  map[int]*Ticket
	notes    map[int][]Note
	nextID   int
	nextNote int
	requests []Request
	invalid  []string // contract violations seen
	authN    int
	refreshN int
	window   time.Time
	perHour  map[string]int

	// Now is the fake's clock (token expiry, rate windows, dates).
	Now        func() time.Time
	AccessTTL  time.Duration // default 1h
	RefreshTTL time.Duration // default 24h
	// HourlyLimit is BMS's 1,500 calls per hour per endpoint.
	HourlyLimit int

	throttle     int
	retryAfter   string
	throttleBody int
	fail5xx      int
	dropCreate   int
	dropNote     int
}

// New starts a fake with one user; Close is registered on t.
func New(t testing.TB, tenant, user, password string) *Server {
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, contract: c, tenant: tenant, user: user, password: password,
		access: map[string]time.Time{}, refresh: map[string]time.Time{}, accounts: map[int]*account{},
		lookups: map[string][]lookup{}, tickets: map[int]*Ticket{}, notes: map[int][]Note{}, nextID: 5000, nextNote: 900,
		perHour: map[string]int{}, Now: time.Now, AccessTTL: time.Hour, RefreshTTL: 24 * time.Hour, HourlyLimit: 1500}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

// AddAccount seeds a CRM account with its locations.
func (s *Server) AddAccount(id int, name string, locationIDs ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[id] = &account{id: id, name: name, locations: locationIDs}
}

// AddContact seeds a contact of an account.
func (s *Server) AddContact(id, accountID int, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contacts = append(s.contacts, contact{id: id, account: accountID, email: email})
}

// AddLookup seeds one row of a lookup table (TableStatuses, …).
func (s *Server) AddLookup(table string, id int, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups[table] = append(s.lookups[table], lookup{id: id, name: name})
}

// AddTicket seeds a ticket and returns its id (t.ID when set).
func (s *Server) AddTicket(t Ticket) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.ID == 0 {
		s.nextID++
		t.ID = s.nextID
	}
	if t.Number == "" {
		t.Number = "T" + time.Now().Format("20060102") + "." + itoa(t.ID)
	}
	if t.CreatedOn.IsZero() {
		t.CreatedOn = s.Now()
	}
	if t.ModifiedOn.IsZero() {
		t.ModifiedOn = t.CreatedOn
	}
	s.tickets[t.ID] = &t
	return t.ID
}

// Tickets returns the tickets, by id.
func (s *Server) Tickets() []Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ticket, 0, len(s.tickets))
	for _, t := range s.tickets {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Ticket returns one ticket.
func (s *Server) Ticket(id int) (Ticket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[id]
	if !ok {
		return Ticket{}, false
	}
	return *t, true
}

// Notes returns a ticket's notes in order.
func (s *Server) Notes(ticketID int) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Note(nil), s.notes[ticketID]...)
}

// Requests returns every call received, bodies included.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Violations lists requests the contract refused; a correct client has none.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.invalid...)
}

// AuthCalls and RefreshCalls count successful logins and refreshes.
func (s *Server) AuthCalls() int    { s.mu.Lock(); defer s.mu.Unlock(); return s.authN }
func (s *Server) RefreshCalls() int { s.mu.Lock(); defer s.mu.Unlock(); return s.refreshN }

// Throttle makes the next n calls answer 429 with this Retry-After ("" for none).
func (s *Server) Throttle(n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle, s.retryAfter = n, retryAfter
}

// ThrottleInBody makes the next n calls answer HTTP 200 with Success:false
// and ErrorInfo.Code 429, the way BMS reports limits inside an answer.
func (s *Server) ThrottleInBody(n int) { s.mu.Lock(); defer s.mu.Unlock(); s.throttleBody = n }

// Fail5xx makes the next n calls answer 500 without doing anything.
func (s *Server) Fail5xx(n int) { s.mu.Lock(); defer s.mu.Unlock(); s.fail5xx = n }

// DropCreateAnswers makes the next n ticket creates happen while the
// client sees the connection close before any answer.
func (s *Server) DropCreateAnswers(n int) { s.mu.Lock(); defer s.mu.Unlock(); s.dropCreate = n }

// DropNoteAnswers is DropCreateAnswers for notes.
func (s *Server) DropNoteAnswers(n int) { s.mu.Lock(); defer s.mu.Unlock(); s.dropNote = n }

// ExpireAccessTokens makes every issued access token invalid (a 401 next).
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = map[string]time.Time{}
}

// ExpireRefreshTokens makes every refresh token invalid.
func (s *Server) ExpireRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh = map[string]time.Time{}
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
