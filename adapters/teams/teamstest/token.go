package teamstest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Scope is the only scope the fake issues tokens for.
const Scope = "https://api.botframework.com/.default"

// DefaultTokenLifetime is what Entra grants a client-credentials token.
const DefaultTokenLifetime = 3599 * time.Second

// tokens is the Entra token endpoint: client credentials for the fake's
// one app in its one tenant, AADSTS errors like Entra's, opaque random
// tokens the connector then checks. Token request bodies hold the client
// secret, so they are NOT recorded in Bodies (a leak scan would flag the
// password the bot must send there); TokenRequests counts them instead.
type tokens struct {
	s *Server

	mu         sync.Mutex
	lifetime   time.Duration
	issued     map[string]time.Time // token → expiry
	requests   int
	failN      int
	failStatus int
}

func newTokens(s *Server) *tokens {
	return &tokens{s: s, lifetime: DefaultTokenLifetime, issued: map[string]time.Time{}}
}

func (t *tokens) routes(mux *http.ServeMux) {
	mux.HandleFunc("/login/{tenant}/oauth2/v2.0/token", t.token)
}

// SetTokenLifetime sets the lifetime of tokens issued from now on (whole
// seconds on the wire, as expires_in is).
func (s *Server) SetTokenLifetime(d time.Duration) {
	s.tok.mu.Lock()
	defer s.tok.mu.Unlock()
	s.tok.lifetime = d
}

// TokenRequests is how many requests reached the token endpoint.
func (s *Server) TokenRequests() int {
	s.tok.mu.Lock()
	defer s.tok.mu.Unlock()
	return s.tok.requests
}

// FailTokens makes the next n token requests fail with status (a 5xx is
// Entra's transient AADSTS90033; a 4xx is AADSTS90033 too, with that status).
func (s *Server) FailTokens(n, status int) {
	s.tok.mu.Lock()
	defer s.tok.mu.Unlock()
	s.tok.failN, s.tok.failStatus = n, status
}

// ExpireTokens makes every token issued so far expired, as if an hour
// passed: the connector answers 401 to them.
func (s *Server) ExpireTokens() {
	s.tok.mu.Lock()
	defer s.tok.mu.Unlock()
	for k := range s.tok.issued {
		s.tok.issued[k] = time.Time{}
	}
}

// valid reports whether tok is a token the fake issued that has not expired.
func (t *tokens) valid(tok string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	exp, ok := t.issued[tok]
	return ok && time.Now().Before(exp)
}

// tokenFields are the form fields a client-credentials request has, no more.
var tokenFields = []string{"grant_type", "client_id", "client_secret", "scope"}

// token checks the request in Entra's order: tenant, request shape,
// grant, client, secret, scope.
func (t *tokens) token(w http.ResponseWriter, r *http.Request) {
	t.mu.Lock()
	t.requests++
	fail, status := t.failN > 0, t.failStatus
	if fail {
		t.failN--
	}
	t.mu.Unlock()
	opts := t.s.Options()

	if r.Method != http.MethodPost {
		aadError(w, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST requests.")
		return
	}
	if fail {
		aadError(w, status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.")
		return
	}
	if tenant := r.PathValue("tenant"); tenant != opts.TenantID {
		aadError(w, http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	if r.URL.RawQuery != "" {
		// Credentials in a URL end up in access logs: Entra wants the body.
		aadError(w, http.StatusBadRequest, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid: parameters belong in the body, not the query string.")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		aadError(w, http.StatusBadRequest, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid.")
		return
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		aadError(w, http.StatusBadRequest, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid.")
		return
	}
	for k, v := range form {
		if !slices.Contains(tokenFields, k) || len(v) != 1 {
			aadError(w, http.StatusBadRequest, "invalid_request", 9002313, fmt.Sprintf("Invalid request. Request is malformed or invalid: unexpected or repeated parameter '%s'.", k))
			return
		}
	}
	for _, k := range tokenFields {
		if form.Get(k) == "" {
			aadError(w, http.StatusBadRequest, "invalid_request", 900144, fmt.Sprintf("The request body must contain the following parameter: '%s'.", k))
			return
		}
	}
	switch {
	case form.Get("grant_type") != "client_credentials":
		aadError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+form.Get("grant_type")+"'.")
	case form.Get("client_id") != opts.AppID:
		aadError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant.", form.Get("client_id"), opts.TenantID))
	case form.Get("client_secret") != opts.AppPassword:
		aadError(w, http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+opts.AppID+"'.")
	case form.Get("scope") != Scope:
		aadError(w, http.StatusBadRequest, "invalid_scope", 70011, "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid.")
	default:
		t.issue(w)
	}
}

func (t *tokens) issue(w http.ResponseWriter) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := "fake-bf." + base64.RawURLEncoding.EncodeToString(b)
	t.mu.Lock()
	life := t.lifetime
	t.issued[tok] = time.Now().Add(life)
	t.mu.Unlock()
	secs := int64(life / time.Second)
	jsonAnswer(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": tok,
	})
}

// aadError answers the way Entra does: the code both in error_codes and
// at the head of the description, then trace ids.
func aadError(w http.ResponseWriter, status int, kind string, code int, desc string) {
	jsonAnswer(w, status, map[string]any{
		"error":             kind,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: 0c3a8f5e-fake-trace Correlation ID: 5b1d-fake-corr Timestamp: %s", code, desc, time.Now().UTC().Format("2006-01-02 15:04:05Z")),
		"error_codes":       []int{code},
		"timestamp":         time.Now().UTC().Format("2006-01-02 15:04:05Z"),
		"trace_id":          "0c3a8f5e-fake-trace",
		"correlation_id":    "5b1d-fake-corr",
	})
}

func jsonAnswer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
