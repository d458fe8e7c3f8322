// Package connectwisetest is a strict fake of the ConnectWise PSA (Manage)
// REST API for tests: every request is checked against ConnectWise's own
// OpenAPI file (trimmed, testdata/), auth is checked as the server does,
// and errors, paging and 429s have the vendor's shapes. Tests seed
// companies, contacts, boards and statuses, inject faults, and read back
// what was created and noted.
package connectwisetest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/routers"
)

// Prefix is the path every Manage API call starts with.
const Prefix = "/v4_6_release/apis/3.0"

// Credentials the fake accepts; the client under test must send exactly
// these (Basic base64("Company+PublicKey:PrivateKey") and clientId).
type Credentials struct {
	Company, PublicKey, PrivateKey, ClientID string
}

// Company, Contact, Status: seeded by the test.
type Company struct {
	ID         int
	Identifier string
	Name       string
}

type Contact struct {
	ID        int
	CompanyID int
	FirstName string
	LastName  string
	Email     string
}

type Status struct {
	ID     int
	Name   string
	Closed bool
}

// Ticket is a ticket as the fake holds it, with what the client sent on
// create (description, internal analysis, whether notifications were off).
type Ticket struct {
	ID                      int
	Summary                 string
	CompanyID               int
	BoardID                 int
	StatusID                int
	ContactID               int
	TypeID                  int
	PriorityID              int
	ExternalXRef            string
	InitialDescription      string
	InitialInternalAnalysis string
	ProcessNotifications    *bool
	Closed                  bool
	Entered, Updated        time.Time
}

// Note is a ServiceNote as posted; pointer flags tell "sent false" from
// "not sent".
type Note struct {
	ID                    int
	TicketID              int
	Text                  string
	InternalAnalysisFlag  *bool
	DetailDescriptionFlag *bool
	ResolutionFlag        *bool
	ProcessNotifications  *bool
}

// Request is one call as the fake received it (for leak scans).
type Request struct {
	Method, Path, Query, Body string
}

// Server is the fake. Zero knobs mean a healthy server.
type Server struct {
	URL string // base URL to configure the client with (includes Prefix)

	t      testing.TB
	srv    *httptest.Server
	router routers.Router
	creds  Credentials
	now    func() time.Time

	mu         sync.Mutex
	companies  map[int]Company
	contacts   []Contact
	boards     map[int][]Status
	boardTypes map[int][]int
	priorities map[int]string
	tickets    map[int]*Ticket
	notes      map[int][]Note
	nextTicket int
	nextNote   int

	rateLimited int
	retryAfter  string
	failures    int
	failCode    int
	dropCreate  int
	dropNote    int
	violations  []string
	requests    []Request
	allowBad    bool
}

// New starts a fake for creds; it stops, and fails t if a request broke the
// contract (unless AllowViolations), when the test ends.
func New(t testing.TB, creds Credentials) *Server {
	s := &Server{
		t: t, creds: creds, now: time.Now,
		companies: map[int]Company{}, boards: map[int][]Status{}, boardTypes: map[int][]int{},
		priorities: map[int]string{}, tickets: map[int]*Ticket{}, notes: map[int][]Note{},
		nextTicket: 5000, nextNote: 9000,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + Prefix
	r, err := newRouter(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	s.router = r
	t.Cleanup(func() {
		s.srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.allowBad {
			for _, v := range s.violations {
				t.Errorf("connectwisetest: %s", v)
			}
		}
	})
	return s
}

// AddCompany, AddContact, AddBoard, AddBoardType, AddPriority seed data.
func (s *Server) AddCompany(c Company) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.companies[c.ID] = c
}

func (s *Server) AddContact(c Contact) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contacts = append(s.contacts, c)
}

func (s *Server) AddBoard(id int, statuses ...Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.boards[id] = statuses
}

func (s *Server) AddBoardType(boardID, typeID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.boardTypes[boardID] = append(s.boardTypes[boardID], typeID)
}

func (s *Server) AddPriority(id int, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.priorities[id] = name
}

// AddTicket seeds a ticket (another company's, a closed one, ...) and
// returns its id.
func (s *Server) AddTicket(t Ticket) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.ID == 0 {
		s.nextTicket++
		t.ID = s.nextTicket
	}
	if t.Entered.IsZero() {
		t.Entered = s.now()
	}
	if t.Updated.IsZero() {
		t.Updated = t.Entered
	}
	s.tickets[t.ID] = &t
	return t.ID
}

// RateLimit makes the next n calls answer 429 with Retry-After.
func (s *Server) RateLimit(n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimited, s.retryAfter = n, retryAfter
}

// Fail makes the next n calls answer code (5xx) without doing anything.
func (s *Server) Fail(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures, s.failCode = n, code
}

// DropCreateAnswer makes the next n ticket creates happen while the client
// sees the connection close before any answer.
func (s *Server) DropCreateAnswer(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropCreate = n
}

// DropNoteAnswer does the same for notes.
func (s *Server) DropNoteAnswer(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropNote = n
}

// AllowViolations is for tests that send bad requests on purpose.
func (s *Server) AllowViolations() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowBad = true
}

// Tickets, Notes, Requests, Violations read back what happened.
func (s *Server) Tickets() []Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ticket
	for _, t := range s.tickets {
		out = append(out, *t)
	}
	return out
}

func (s *Server) Ticket(id int) (Ticket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[id]
	if !ok {
		return Ticket{}, false
	}
	return *t, true
}

func (s *Server) Notes(ticketID int) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Note(nil), s.notes[ticketID]...)
}

func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// cwError is ConnectWise's error body.
type cwError struct {
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Errors  []cwSubError `json:"errors,omitempty"`
}

type cwSubError struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Resource string `json:"resource"`
	Field    string `json:"field"`
}

func writeErr(w http.ResponseWriter, status int, code, msg string, sub ...cwSubError) {
	writeJSON(w, status, cwError{Code: code, Message: msg, Errors: sub})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serve is auth, faults and the contract check in the server's order,
// then the handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body)})
	s.mu.Unlock()

	if !s.authorized(r) {
		writeErr(w, http.StatusUnauthorized, "Unauthorized", "Authentication failed: check the company id, public and private keys")
		return
	}
	if r.Header.Get("clientId") != s.creds.ClientID {
		writeErr(w, http.StatusUnauthorized, "Unauthorized", "A valid clientId header is required")
		return
	}
	s.mu.Lock()
	if s.rateLimited > 0 {
		s.rateLimited--
		ra := s.retryAfter
		s.mu.Unlock()
		if ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		writeErr(w, http.StatusTooManyRequests, "TooManyRequests", "Rate limit exceeded")
		return
	}
	if s.failures > 0 {
		s.failures--
		code := s.failCode
		s.mu.Unlock()
		writeErr(w, code, "InternalServerError", "An error occurred, please try again")
		return
	}
	s.mu.Unlock()

	if err := validate(s.router, r, body); err != nil {
		s.mu.Lock()
		s.violations = append(s.violations, err.Error())
		s.mu.Unlock()
		writeErr(w, http.StatusBadRequest, "InvalidObject", err.Error())
		return
	}
	s.route(w, r, body)
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Basic ")
	if !ok {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return false
	}
	want := s.creds.Company + "+" + s.creds.PublicKey + ":" + s.creds.PrivateKey
	return string(b) == want
}

// drop closes the connection without an answer: the work is done, the
// client sees an error and cannot know.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("connectwisetest: cannot hijack")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

func atoiPath(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// Do sends a raw authorized request (for tests of the fake itself) and
// returns the status code.
func (s *Server) Do(t testing.TB, method, path, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(s.creds.Company+"+"+s.creds.PublicKey, s.creds.PrivateKey)
	req.Header.Set("clientId", s.creds.ClientID)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}
