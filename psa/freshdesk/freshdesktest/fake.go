// Package freshdesktest is a strict fake of the Freshdesk API v2 for tests:
// Basic auth with "{apiKey}:X", every request validated against the
// hand-written contract in testdata (see SOURCE.md), Freshdesk's error
// shapes, Link pagination, X-Ratelimit-* headers, and knobs for 429s, 5xx
// and a create whose answer is lost.
package freshdesktest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Ticket is a ticket as the fake keeps it.
type Ticket struct {
	ID          int64
	Subject     string
	Description string
	Status      int
	Priority    int
	Source      int
	CompanyID   int64 // 0: none
	RequesterID int64
	GroupID     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Note is a conversation entry (a note the client added).
type Note struct {
	ID           int64
	TicketID     int64
	Body         string
	Private      bool
	NotifyEmails []string
	CreatedAt    time.Time
}

// Request is one request as received, for leak scans and wire assertions.
type Request struct {
	Method, Path, Query string
	Auth                string
	Body                []byte
}

// Contact is a Freshdesk contact.
type Contact struct {
	ID        int64
	Email     string
	CompanyID int64
}

// Server is the fake. The zero value is not usable: call New.
type Server struct {
	*httptest.Server
	APIKey string
	// Now is the fake's clock (created_at, updated_at, the 30-day rule).
	Now func() time.Time

	t          testing.TB
	mu         sync.Mutex
	companies  map[int64]string
	groups     map[int64]string
	contacts   []Contact
	statuses   map[int]string
	tickets    map[int64]*Ticket
	notes      []Note
	nextID     int64
	reqs       []Request
	violations []string

	rateLimited int
	retryAfter  int
	failing     int
	failStatus  int
	dropCreates int
	dropNotes   int
	remaining   int
	// AllowViolations keeps the cleanup check quiet for a test that sends
	// a bad request on purpose.
	AllowViolations bool
}

// New starts a fake that t closes; at cleanup it fails t when a request
// broke the contract (unless AllowViolations).
func New(t testing.TB, apiKey string) *Server {
	s := &Server{
		APIKey:    apiKey,
		Now:       time.Now,
		t:         t,
		companies: map[int64]string{},
		groups:    map[int64]string{},
		statuses:  map[int]string{2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed"},
		tickets:   map[int64]*Ticket{},
		nextID:    1000,
		remaining: 200,
	}
	if _, err := router(); err != nil {
		t.Fatal(err)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		s.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.AllowViolations && len(s.violations) > 0 {
			t.Errorf("freshdesktest: requests broke the contract:\n%s", strings.Join(s.violations, "\n"))
		}
	})
	return s
}

// AddCompany seeds a company.
func (s *Server) AddCompany(id int64, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.companies[id] = name
}

// AddGroup seeds a group.
func (s *Server) AddGroup(id int64, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = name
}

// AddContact seeds a contact (companyID 0: none).
func (s *Server) AddContact(id int64, email string, companyID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contacts = append(s.contacts, Contact{ID: id, Email: email, CompanyID: companyID})
}

// AddStatus adds a custom ticket status.
func (s *Server) AddStatus(id int, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses[id] = name
}

// AddTicket seeds a ticket and returns its id; zero times are now.
func (s *Server) AddTicket(t Ticket) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	t.ID = s.nextID
	now := s.Now()
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = t.CreatedAt
	}
	if t.Status == 0 {
		t.Status = 2
	}
	s.tickets[t.ID] = &t
	return t.ID
}

// RateLimit makes the next n calls answer 429 with Retry-After seconds.
func (s *Server) RateLimit(n, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimited, s.retryAfter = n, retryAfter
}

// Fail makes the next n calls answer status (a 5xx).
func (s *Server) Fail(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing, s.failStatus = n, status
}

// DropCreates makes the next n ticket creates happen but closes the
// connection instead of answering.
func (s *Server) DropCreates(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropCreates = n
}

// DropNotes is DropCreates for notes.
func (s *Server) DropNotes(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropNotes = n
}

// Tickets returns copies of all tickets.
func (s *Server) Tickets() []Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ticket, 0, len(s.tickets))
	for _, t := range s.tickets {
		out = append(out, *t)
	}
	return out
}

// Ticket returns one ticket.
func (s *Server) Ticket(id int64) (Ticket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[id]
	if !ok {
		return Ticket{}, false
	}
	return *t, true
}

// Notes returns the notes of a ticket as they arrived on the wire.
func (s *Server) Notes(ticketID int64) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Note
	for _, n := range s.notes {
		if n.TicketID == ticketID {
			out = append(out, n)
		}
	}
	return out
}

// Requests returns every request received.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Violations returns the contract breaks seen so far.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"), Body: body})
	s.mu.Unlock()

	// Auth first: https://developers.freshdesk.com/api/#authentication
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "invalid_credentials", "You have to be logged in to perform this action.")
		return
	}
	s.mu.Lock()
	if s.remaining > 0 {
		s.remaining--
	}
	w.Header().Set("X-Ratelimit-Total", "200")
	w.Header().Set("X-Ratelimit-Remaining", fmt.Sprint(s.remaining))
	w.Header().Set("X-Ratelimit-Used-CurrentRequest", "1")
	if s.rateLimited > 0 {
		s.rateLimited--
		ra := s.retryAfter
		s.mu.Unlock()
		// https://developers.freshdesk.com/api/#ratelimit
		w.Header().Set("Retry-After", fmt.Sprint(ra))
		writeError(w, http.StatusTooManyRequests, "too_many_requests", "You have exceeded the limit of requests per minute")
		return
	}
	if s.failing > 0 {
		s.failing--
		st := s.failStatus
		s.mu.Unlock()
		writeError(w, st, "internal_error", "We're sorry, but something went wrong.")
		return
	}
	s.mu.Unlock()

	if r.Method != http.MethodGet && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		// https://developers.freshdesk.com/api/#error: 415 invalid_content_type
		writeError(w, http.StatusUnsupportedMediaType, "invalid_content_type", "Content-Type header is not set to application/json")
		return
	}
	route, err := validate(r, body)
	if err != nil {
		v, ok := err.(violation)
		if !ok {
			s.t.Errorf("freshdesktest: %v", err)
			writeError(w, http.StatusInternalServerError, "internal_error", "contract")
			return
		}
		s.mu.Lock()
		s.violations = append(s.violations, fmt.Sprintf("%s %s?%s: %v", r.Method, r.URL.Path, r.URL.RawQuery, v))
		s.mu.Unlock()
		if v.status == http.StatusBadRequest {
			writeValidation(w, fieldError{v.field, v.message, v.code})
			return
		}
		writeError(w, v.status, v.code, v.message)
		return
	}
	s.route(w, r, route.Operation.OperationID, body)
}

// authorized is Freshdesk's Basic auth: the API key as user name, "X" as
// the password.
func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Basic ")
	if !ok {
		return false
	}
	dec, err := base64.StdEncoding.DecodeString(raw)
	return err == nil && string(dec) == s.APIKey+":X"
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Code    string `json:"code"`
}

// writeValidation is the 400 shape:
// https://developers.freshdesk.com/api/#error
func writeValidation(w http.ResponseWriter, errs ...fieldError) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"description": "Validation failed", "errors": errs})
}

// writeError is the shape of every other error.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"code": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeNotFound: Freshdesk answers an unknown id with 404 and no body.
func writeNotFound(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNotFound)
}
