package kaseyabmstest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func itoa(n int) string { return strconv.Itoa(n) }

// envelope answers in camelCase, as real BMS answers are read
// (`result.accessToken`); clients must not depend on the spelling.
func envelope(result any, extra map[string]any) map[string]any {
	m := map[string]any{"success": true, "error": nil, "result": result}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func errEnvelope(code int, msg, details string) map[string]any {
	return map[string]any{"success": false, "result": nil,
		"error": map[string]any{"code": code, "message": msg, "details": details, "stackStrace": nil, "subErrors": nil}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP is the whole API: record, faults, route, auth, contract, handle.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		ContentType: r.Header.Get("Content-Type"), Authorization: r.Header.Get("Authorization"), Body: string(body)})
	security := strings.HasPrefix(r.URL.Path, "/v2/security/")
	now := s.Now()
	if now.Sub(s.window) >= time.Hour {
		s.window, s.perHour = now, map[string]int{}
	}
	endpoint := r.Method + " " + r.URL.Path
	s.perHour[endpoint]++
	over := s.HourlyLimit > 0 && s.perHour[endpoint] > s.HourlyLimit
	switch {
	case s.throttle > 0 || over:
		if !over {
			s.throttle--
		}
		ra := s.retryAfter
		if over {
			ra = itoa(int(s.window.Add(time.Hour).Sub(now).Seconds()) + 1)
		}
		s.mu.Unlock()
		if ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		writeJSON(w, http.StatusTooManyRequests, errEnvelope(429, "API calls quota exceeded! maximum admitted 1500 per 1h.", ""))
		return
	case s.throttleBody > 0:
		s.throttleBody--
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, errEnvelope(429, "Rate limit exceeded. Please try again later.", ""))
		return
	case s.fail5xx > 0:
		s.fail5xx--
		s.mu.Unlock()
		writeJSON(w, http.StatusInternalServerError, errEnvelope(500, "An unexpected error occurred.", ""))
		return
	}
	s.mu.Unlock()

	if !security && !s.authorized(r.Header.Get("Authorization")) {
		// The ASP.NET Core JWT bearer answer: 401, no body.
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	v, status, err := s.contract.validate(r, body)
	if err != nil {
		s.mu.Lock()
		s.invalid = append(s.invalid, endpoint+": "+err.Error())
		s.mu.Unlock()
		if status != http.StatusBadRequest {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, http.StatusBadRequest, errEnvelope(400, "One or more validation errors occurred.", err.Error()))
		return
	}
	s.handle(w, r, v)
}

func (s *Server) authorized(h string) bool {
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.access[tok]
	return ok && s.Now().Before(exp)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, v *validated) {
	id, _ := strconv.Atoi(firstParam(v.params))
	switch p := v.route.Path; {
	case p == "/v2/security/authenticate":
		s.authenticate(w, v)
	case p == "/v2/security/refreshtoken":
		s.refreshToken(w, v)
	case p == "/v2/servicedesk/tickets/search":
		s.search(w, v)
	case p == "/v2/servicedesk/tickets" && r.Method == "POST":
		s.create(w, v)
	case p == "/v2/servicedesk/tickets/{ticketId}":
		s.getTicket(w, id)
	case p == "/v2/servicedesk/tickets/{ticketId}/notes" && r.Method == "POST":
		s.addNote(w, id, v)
	case p == "/v2/servicedesk/tickets/{ticketId}/notes":
		s.listNotes(w, r, id)
	case p == "/v2/servicedesk/tickets/{ticketId}/resolve":
		s.resolve(w, id, v)
	case p == "/v2/system/lookup/{tableName}":
		s.lookup(w, v.params["tableName"])
	case p == "/v2/crm/accounts/summary/{id}":
		s.account(w, id)
	case p == "/v2/crm/contacts/search":
		s.contactSearch(w, r)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func firstParam(m map[string]string) string {
	for _, k := range []string{"ticketId", "id"} {
		if v, ok := m[k]; ok {
			return v
		}
	}
	return ""
}

// drop closes the connection without an answer: the work is done, the
// client never hears of it.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
