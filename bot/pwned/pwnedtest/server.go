// Package pwnedtest is a strict fake of Have I Been Pwned's Pwned Passwords
// range API: it answers GET /range/{5 hex} as the service does (upper-case
// "SUFFIX:COUNT" lines, CRLF, padded with count-0 entries when asked with
// Add-Padding: true), refuses anything else with the service's status, and
// keeps every request whole so a test can prove what left the process.
package pwnedtest

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// prefixPath is the only path the service answers: five hex digits, in
// either case.
var prefixPath = regexp.MustCompile(`^/range/[0-9A-Fa-f]{5}$`)

// Server is the fake. Its zero state knows no password.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	counts   map[string]int // full upper-case SHA-1 → times seen
	padding  map[string]bool
	requests []string // each request as it came over the wire
	fail     []failure
	delay    time.Duration
}

type failure struct {
	status     int
	retryAfter string
	body       string
}

// New starts a fake, closed when t ends.
func New(t testing.TB) *Server {
	s := &Server{counts: map[string]int{}, padding: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base URL a client is configured with.
func (s *Server) URL() string { return s.srv.URL }

// Hash is the upper-case hex SHA-1 of pw, as the service lists it.
func Hash(pw string) string {
	sum := sha1.Sum([]byte(pw))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Breach records pw as seen count times.
func (s *Server) Breach(pw string, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[Hash(pw)] = count
}

// PadWith makes padded answers under pw's prefix hold pw's own suffix with
// count 0, as real padding may by chance.
func (s *Server) PadWith(pw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.padding[Hash(pw)] = true
}

// FailNext makes the next n requests answer status (with Retry-After when
// retryAfter is set) instead of the range.
func (s *Server) FailNext(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fail = append(s.fail, failure{status: status, retryAfter: retryAfter})
	}
}

// AnswerNext makes the next request answer 200 with body, whatever it is
// (a proxy's error page, a truncated line).
func (s *Server) AnswerNext(body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, failure{status: http.StatusOK, body: body})
}

// Delay makes every answer wait d first (a slow service).
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Requests are the requests so far, each dumped whole: request line,
// every header, body.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	dump, err := httputil.DumpRequest(r, true)
	if err != nil {
		http.Error(w, "unreadable request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, string(dump))
	delay := s.delay
	var f *failure
	if len(s.fail) > 0 {
		f = &s.fail[0]
		s.fail = s.fail[1:]
	}
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case r.Method != http.MethodGet:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	case !prefixPath.MatchString(r.URL.Path) || r.URL.RawQuery != "":
		// The service's answer to a prefix that is not 5 hex characters.
		http.Error(w, "The hash prefix was not in a valid format", http.StatusBadRequest)
		return
	case r.ContentLength != 0:
		http.Error(w, "a range request has no body", http.StatusBadRequest)
		return
	case r.UserAgent() == "" || strings.HasPrefix(r.UserAgent(), "Go-http-client"):
		http.Error(w, "name your client in User-Agent", http.StatusForbidden)
		return
	}
	if f != nil {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		w.WriteHeader(f.status)
		fmt.Fprint(w, f.body)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(w, s.rangeBody(strings.ToUpper(strings.TrimPrefix(r.URL.Path, "/range/")), r.Header.Get("Add-Padding") == "true"))
}

// rangeBody lists the suffixes under prefix; padded, it adds count-0
// entries up to a size between 800 and 1,000 lines, as the service does.
func (s *Server) rangeBody(prefix string, padded bool) string {
	s.mu.Lock()
	lines := map[string]int{}
	for h, n := range s.counts {
		if strings.HasPrefix(h, prefix) {
			lines[h[5:]] = n
		}
	}
	if padded {
		for h := range s.padding {
			if _, real := lines[h[5:]]; strings.HasPrefix(h, prefix) && !real {
				lines[h[5:]] = 0
			}
		}
	}
	s.mu.Unlock()
	if padded {
		want := 800 + int(randByte())%201
		for len(lines) < want {
			lines[randSuffix()] = 0
		}
	}
	out := make([]string, 0, len(lines))
	for sfx, n := range lines {
		out = append(out, fmt.Sprintf("%s:%d", sfx, n))
	}
	sort.Strings(out)
	return strings.Join(out, "\r\n")
}

func randByte() byte {
	var b [1]byte
	rand.Read(b[:])
	return b[0]
}

func randSuffix() string {
	b := make([]byte, 18)
	rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))[:35]
}
