// Package smstest is a strict fake of Twilio's Messages API for tests: it
// takes only what the real API takes (the account's path, Basic auth,
// a form body, E.164 numbers, a body of 1 to 1600 characters), answers
// anything else with Twilio's error shape, records the messages it
// accepted, and fails on demand (a 429 with Retry-After, a 5xx).
package smstest

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"unicode/utf8"
)

// Account is the fake's account: its SID and token.
const (
	AccountSID = "AC0123456789abcdef0123456789abcdef"
	AuthToken  = "smstest-auth-token-3c1e"
	From       = "+15005550006"
	ServiceSID = "MG0123456789abcdef0123456789abcdef"
)

// Message is one accepted message.
type Message struct {
	To, From, Service, Body string
}

// Server is the fake.
type Server struct {
	URL string

	mu       sync.Mutex
	messages []Message
	refused  []string
	fails    []Failure
}

// Failure is an answer the fake gives instead of accepting the next
// message.
type Failure struct {
	Status     int
	Code       int
	RetryAfter string // the Retry-After header, on a 429
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// Start runs the fake until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// FailNext makes the next sends fail, in order.
func (s *Server) FailNext(f ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = append(s.fails, f...)
}

// Messages are the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Refused lists why each refused request was refused (a client that
// breaks the API's rules shows up here, not only as an error).
func (s *Server) Refused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	refuse := func(status, code int, msg string) {
		s.mu.Lock()
		s.refused = append(s.refused, msg)
		s.mu.Unlock()
		twilioError(w, status, code, msg)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+AccountSID+"/Messages.json" {
		refuse(http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != AccountSID || p != AuthToken {
		refuse(http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		refuse(http.StatusBadRequest, 20001, "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		refuse(http.StatusBadRequest, 20001, "Unreadable form")
		return
	}
	m := Message{To: r.PostForm.Get("To"), From: r.PostForm.Get("From"), Service: r.PostForm.Get("MessagingServiceSid"), Body: r.PostForm.Get("Body")}
	switch {
	case !e164.MatchString(m.To):
		refuse(http.StatusBadRequest, 21211, "The 'To' number "+m.To+" is not a valid phone number.")
		return
	case m.Service == "" && m.From == "":
		refuse(http.StatusBadRequest, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message")
		return
	case m.Service != "" && m.Service != ServiceSID:
		refuse(http.StatusBadRequest, 21701, "The Messaging Service Sid is invalid")
		return
	case m.Service == "" && m.From != From:
		refuse(http.StatusBadRequest, 21606, "The From phone number "+m.From+" is not a valid, SMS-capable inbound phone number for your account.")
		return
	case m.Body == "" || utf8.RuneCountInString(m.Body) > 1600 || !utf8.ValidString(m.Body):
		refuse(http.StatusBadRequest, 21617, "The concatenated message body exceeds the 1600 character limit.")
		return
	}
	s.mu.Lock()
	if len(s.fails) > 0 {
		f := s.fails[0]
		s.fails = s.fails[1:]
		s.mu.Unlock()
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		twilioError(w, f.Status, f.Code, "Failure on demand")
		return
	}
	s.messages = append(s.messages, m)
	n := len(s.messages)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"sid": fmt.Sprintf("SM%032x", n), "account_sid": AccountSID, "to": m.To,
		"from": m.From, "messaging_service_sid": nullable(m.Service), "body": m.Body, "status": "queued", "api_version": "2010-04-01"})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// twilioError writes Twilio's error shape.
func twilioError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status})
}
