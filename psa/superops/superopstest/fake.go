// Package superopstest is a strict fake of the SuperOps MSP GraphQL API
// (POST /msp) for the operations unlockbot uses. Every request is checked
// against the contract in testdata (operation, fields, variable types, no
// unknown input fields) and answered the way SuperOps answers: application
// errors and the rate limit inside an HTTP 200, 401 for a bad token, 400 for
// a missing or wrong CustomerSubDomain.
package superopstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// Path is where the API lives on the host (api.superops.ai/msp).
const Path = "/msp"

// Server is the fake. Seed it with AddClient/AddUser/AddTicket, then point
// a client at Endpoint().
type Server struct {
	srv       *httptest.Server
	schema    *ast.Schema
	token     string
	subdomain string

	mu         sync.Mutex
	now        func() time.Time
	clients    map[string]Client
	users      []User
	statuses   []string
	priorities []string
	tickets    []*Ticket
	notes      map[string][]Note
	convs      map[string][]Conversation
	seq        int
	requests   []Request

	// knobs
	requireRequester bool
	rateLimited      int
	rateInBody       bool
	retryAfter       string
	failures         []int
	dropCreates      int
}

// Client is a SuperOps client (customer account).
type Client struct{ AccountID, Name string }

// User is a client user (a requester).
type User struct{ UserID, AccountID, Name, Email string }

// Ticket as the fake stores it.
type Ticket struct {
	ID, DisplayID, Subject, Status, AccountID, RequesterID, Source, Priority string
	Created, Updated                                                         time.Time
}

// Note is a ticket note as created on the wire.
type Note struct {
	ID, TicketID, Content, PrivacyType string
	At                                 time.Time
}

// Conversation is a ticket conversation; the create-time description is
// the first one, of type DESCRIPTION.
type Conversation struct {
	ID, TicketID, Content, Type string
	At                          time.Time
}

// Request is one logged call, for leak scans and wire assertions.
type Request struct {
	Header        http.Header
	Body          string
	OperationName string
}

// New starts a fake accepting exactly this token and subdomain, with the
// tenant's ticket status names (per tenant in SuperOps, so tests choose).
func New(t testing.TB, token, subdomain string, statuses ...string) *Server {
	schema, err := Contract()
	if err != nil {
		t.Fatalf("superopstest: contract: %v", err)
	}
	if len(statuses) == 0 {
		statuses = []string{"Open", "In Progress", "Resolved", "Closed"}
	}
	s := &Server{
		schema: schema, token: token, subdomain: subdomain,
		now:     func() time.Time { return time.Now().UTC() },
		clients: map[string]Client{}, statuses: statuses,
		notes: map[string][]Note{}, convs: map[string][]Conversation{},
		requireRequester: true, seq: 1000, priorities: []string{"Low", "Medium", "High", "Urgent"},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// Endpoint is the URL to configure as base_url.
func (s *Server) Endpoint() string { return s.srv.URL + Path }

// Close stops the server (a "SuperOps down" test).
func (s *Server) Close() { s.srv.Close() }

// AddClient seeds a client account.
func (s *Server) AddClient(accountID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[accountID] = Client{AccountID: accountID, Name: name}
}

// AddUser seeds a client user (requester) of accountID.
func (s *Server) AddUser(userID, accountID, name, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = append(s.users, User{UserID: userID, AccountID: accountID, Name: name, Email: email})
}

// AddTicket seeds a ticket and returns its id.
func (s *Server) AddTicket(accountID, subject, status string, updated time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tk := s.newTicketLocked(accountID, subject, status)
	tk.Created, tk.Updated = updated, updated
	return tk.ID
}

func (s *Server) newTicketLocked(accountID, subject, status string) *Ticket {
	s.seq++
	now := s.now()
	tk := &Ticket{
		ID: strconv.Itoa(7000000 + s.seq), DisplayID: fmt.Sprintf("%s-%04d", now.Format("020106"), s.seq),
		Subject: subject, Status: status, AccountID: accountID, Source: "AGENT", Created: now, Updated: now,
	}
	s.tickets = append(s.tickets, tk)
	return tk
}

// RequireRequester sets whether createTicket insists on a requester
// (default true, as tenants do).
func (s *Server) RequireRequester(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requireRequester = on
}

// RateLimit makes the next n calls rate-limited: inBody → HTTP 200 with
// clientError rate_limit_exceeded (SuperOps' own signal), else HTTP 429
// with Retry-After.
func (s *Server) RateLimit(n int, inBody bool, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimited, s.rateInBody, s.retryAfter = n, inBody, retryAfter
}

// FailNext answers the next calls with these HTTP statuses (5xx injection).
func (s *Server) FailNext(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, statuses...)
}

// Heal drops the failures FailNext queued and not yet served.
func (s *Server) Heal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = nil
}

// DropNextCreates makes the next n createTicket calls happen, but the
// connection is closed before the answer, as after a timeout.
func (s *Server) DropNextCreates(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropCreates = n
}

// Tickets returns copies of all tickets.
func (s *Server) Tickets() []Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ticket, len(s.tickets))
	for i, tk := range s.tickets {
		out[i] = *tk
	}
	return out
}

// Ticket returns one ticket by id.
func (s *Server) Ticket(id string) (Ticket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tk := s.ticketLocked(id); tk != nil {
		return *tk, true
	}
	return Ticket{}, false
}

// Notes returns the notes of a ticket as created on the wire.
func (s *Server) Notes(ticketID string) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Note(nil), s.notes[ticketID]...)
}

// Conversations returns a ticket's conversations (the description first).
func (s *Server) Conversations(ticketID string) []Conversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Conversation(nil), s.convs[ticketID]...)
}

// Requests returns the log of calls.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count is how many calls named this operation.
func (s *Server) Count(operationName string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.OperationName == operationName {
			n++
		}
	}
	return n
}

func (s *Server) ticketLocked(id string) *Ticket {
	for _, tk := range s.tickets {
		if tk.ID == id {
			return tk
		}
	}
	return nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var req gqlRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	decErr := dec.Decode(&req)

	s.mu.Lock()
	s.requests = append(s.requests, Request{Header: r.Header.Clone(), Body: string(body), OperationName: req.OperationName})
	s.mu.Unlock()

	if r.URL.Path != Path || r.Method != http.MethodPost {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		return
	}
	// Help Center "Handling errors": invalid token 401, invalid subdomain 400.
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"message":"Invalid API token"}`)
		return
	}
	if sd := r.Header.Get("CustomerSubDomain"); sd == "" {
		w.WriteHeader(http.StatusBadRequest) // ingress answers with an empty body
		return
	} else if sd != s.subdomain {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"message":"Invalid subdomain"}`)
		return
	}
	if s.injected(w) {
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=utf-8" {
		http.Error(w, `{"message":"Unsupported Media Type"}`, http.StatusUnsupportedMediaType)
		return
	}
	if decErr != nil {
		writeJSON(w, map[string]any{"errors": []graphQLError{validationError("Invalid request body: %v", decErr)}, "data": nil})
		return
	}
	c, errs := check(s.schema, req)
	if errs != nil {
		writeJSON(w, map[string]any{"errors": errs, "data": nil})
		return
	}
	data, errs, dropped := s.execute(c)
	if dropped {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
	}
	out := map[string]any{"data": data}
	if len(errs) > 0 {
		out["errors"] = errs
	}
	writeJSON(w, out)
}

// injected answers with a queued fault, if any.
func (s *Server) injected(w http.ResponseWriter) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) > 0 {
		st := s.failures[0]
		s.failures = s.failures[1:]
		http.Error(w, `{"message":"upstream error"}`, st)
		return true
	}
	if s.rateLimited > 0 {
		s.rateLimited--
		if s.rateInBody {
			writeJSON(w, map[string]any{"data": map[string]any{}, "errors": []graphQLError{{
				Extensions: map[string]any{"clientError": []ClientError{{Code: "rate_limit_exceeded", Param: map[string]any{}}}},
			}}})
			return true
		}
		if s.retryAfter != "" {
			w.Header().Set("Retry-After", s.retryAfter)
		}
		http.Error(w, `{"message":"Too Many Requests"}`, http.StatusTooManyRequests)
		return true
	}
	return false
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
