package slacktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Socket is the Socket Mode side of the fake: apps.connections.open (which
// takes the xapp- app-level token, not the bot token) and the websocket it
// hands out, both on one httptest server that also answers every other Web
// API method through the wrapped Server (same state, same recorded calls).
//
// Tests push envelopes with SlashCommand, Interactive, BlockSuggestion or
// Send, wait for the bot's acknowledgement with WaitAck, and force a
// reconnect with Disconnect (polite) or Drop (the network fails).
type Socket struct {
	api      *Server
	srv      *httptest.Server
	appToken string
	up       websocket.Upgrader

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every change (a broadcast)
	tickets    map[string]bool
	nextTicket int
	nextEnv    int
	conns      []*sockConn // every connection accepted, in order
	acks       []Ack
}

// Ack is an acknowledgement the bot sent back.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage // nil when the ack carried no payload
	Conn       int             // the connection it came on (1 = the first)
}

// Envelope is what the fake pushes to the bot.
type Envelope struct {
	ID                     string // "" = the fake picks one
	Type                   string // slash_commands, interactive, events_api
	Payload                json.RawMessage
	AcceptsResponsePayload bool
	RetryAttempt           int
	RetryReason            string
}

type sockConn struct {
	n      int
	ws     *websocket.Conn
	wmu    sync.Mutex // one writer at a time
	closed bool       // guarded by Socket.mu
}

func (c *sockConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(v)
}

// NewSocket starts the Socket Mode fake in front of api. appToken is the
// app-level token apps.connections.open accepts (it must start with xapp-,
// as Slack's do). Point the bot at the returned Socket's APIURL.
func NewSocket(t testing.TB, api *Server, appToken string) *Socket {
	s := &Socket{api: api, appToken: appToken, changed: make(chan struct{}), tickets: map[string]bool{},
		up: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/apps.connections.open", s.open)
	mux.HandleFunc("/socket", s.accept)
	mux.HandleFunc("/", api.serve)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		s.closeAll()
		s.srv.Close()
	})
	return s
}

// APIURL is the base to give the client (ends in "/"): every Web API method
// plus apps.connections.open.
func (s *Socket) APIURL() string { return s.srv.URL + "/api/" }

// broadcast wakes every waiter; call with s.mu held.
func (s *Socket) broadcast() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// wait polls cond (called with s.mu held) until it is true or timeout.
func (s *Socket) wait(timeout time.Duration, what string, cond func() bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok, ch := cond(), s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return fmt.Errorf("slacktest: %s: not within %s", what, timeout)
		}
	}
}

// open is apps.connections.open: it checks the app-level token and hands
// out a one-time websocket URL.
func (s *Socket) open(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	raw, _ := io.ReadAll(r.Body)
	const method = "apps.connections.open"
	s.api.mu.Lock()
	s.api.calls = append(s.api.calls, Call{Method: method, Body: string(raw), Args: map[string]any{}})
	fail := s.api.failNext[method]
	delete(s.api.failNext, method)
	s.api.mu.Unlock()

	var res answer
	switch auth := r.Header.Get("Authorization"); {
	case auth == "":
		res = fail2("not_authed")
	case auth != "Bearer "+s.appToken || !strings.HasPrefix(s.appToken, "xapp-"):
		res = fail2("invalid_auth")
	case fail != "":
		res = fail2(fail)
	default:
		s.mu.Lock()
		s.nextTicket++
		ticket := fmt.Sprintf("tk%06d", s.nextTicket)
		s.tickets[ticket] = true
		s.mu.Unlock()
		// r.Host is this server: Slack's URL points at its own socket host.
		res = answer{"ok": true, "url": "ws://" + r.Host + "/socket?ticket=" + ticket}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}

// accept upgrades a connection that presents an unused ticket, says hello
// and records the acks the bot sends on it.
func (s *Socket) accept(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	ok := s.tickets[ticket]
	delete(s.tickets, ticket) // one use, like Slack's
	s.mu.Unlock()
	if !ok {
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	ws, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered
	}
	s.mu.Lock()
	c := &sockConn{n: len(s.conns) + 1, ws: ws}
	s.conns = append(s.conns, c)
	open := 0
	for _, o := range s.conns {
		if !o.closed {
			open++
		}
	}
	s.broadcast()
	s.mu.Unlock()
	defer s.forget(c)

	hello := map[string]any{"type": "hello", "num_connections": open,
		"debug_info":      map[string]any{"host": "slacktest", "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": s.api.workspace().AppID}}
	if err := c.write(hello); err != nil {
		return
	}
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var a struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &a) != nil || a.EnvelopeID == "" {
			continue // not an ack; Slack ignores it too
		}
		if string(a.Payload) == "null" {
			a.Payload = nil
		}
		s.mu.Lock()
		s.acks = append(s.acks, Ack{EnvelopeID: a.EnvelopeID, Payload: a.Payload, Conn: c.n})
		s.broadcast()
		s.mu.Unlock()
	}
}

func (s *Socket) forget(c *sockConn) {
	s.mu.Lock()
	c.closed = true
	s.broadcast()
	s.mu.Unlock()
	_ = c.ws.Close()
}

func (s *Socket) closeAll() {
	s.mu.Lock()
	conns := append([]*sockConn(nil), s.conns...)
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.Close()
	}
}

// current is the newest open connection.
func (s *Socket) current() (*sockConn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.conns) - 1; i >= 0; i-- {
		if !s.conns[i].closed {
			return s.conns[i], nil
		}
	}
	return nil, errors.New("slacktest: no open socket mode connection")
}

// Connections is how many connections the fake has accepted so far.
func (s *Socket) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// OpenConnections is how many are open now.
func (s *Socket) OpenConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.conns {
		if !c.closed {
			n++
		}
	}
	return n
}

// WaitConnected waits until the n-th connection has been accepted and is
// open (n = 1: the bot is connected; n = 2: it has reconnected once).
func (s *Socket) WaitConnected(n int, timeout time.Duration) error {
	return s.wait(timeout, fmt.Sprintf("connection %d", n), func() bool {
		return len(s.conns) >= n && !s.conns[n-1].closed
	})
}

// WaitClosed waits until no connection is open.
func (s *Socket) WaitClosed(timeout time.Duration) error {
	return s.wait(timeout, "all connections closed", func() bool {
		for _, c := range s.conns {
			if !c.closed {
				return false
			}
		}
		return true
	})
}

// Send pushes env on the newest open connection and returns its envelope id.
func (s *Socket) Send(env Envelope) (string, error) {
	c, err := s.current()
	if err != nil {
		return "", err
	}
	if env.ID == "" {
		s.mu.Lock()
		s.nextEnv++
		env.ID = fmt.Sprintf("env-%06d-fake", s.nextEnv)
		s.mu.Unlock()
	}
	payload := env.Payload
	if payload == nil {
		payload = json.RawMessage("{}")
	}
	msg := map[string]any{"envelope_id": env.ID, "type": env.Type, "payload": payload,
		"accepts_response_payload": env.AcceptsResponsePayload, "retry_attempt": env.RetryAttempt, "retry_reason": env.RetryReason}
	if err := c.write(msg); err != nil {
		return "", fmt.Errorf("slacktest: sending envelope: %w", err)
	}
	return env.ID, nil
}

// SlashCommand pushes a slash_commands envelope whose payload holds the
// fields Slack would have form-posted over HTTP (first value of each).
func (s *Socket) SlashCommand(fields url.Values) (string, error) {
	p := make(map[string]string, len(fields))
	for k := range fields {
		p[k] = fields.Get(k)
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	return s.Send(Envelope{Type: "slash_commands", Payload: raw, AcceptsResponsePayload: true})
}

// Interactive pushes an interactive envelope (block_actions,
// view_submission, view_closed...): payload is the JSON Slack would have
// form-posted as "payload" over HTTP.
func (s *Socket) Interactive(payload json.RawMessage) (string, error) {
	return s.Send(Envelope{Type: "interactive", Payload: payload, AcceptsResponsePayload: true})
}

// BlockSuggestion pushes a type-ahead query. Slack delivers block_suggestion
// in an "interactive" envelope; the ack's payload is {"options":[...]}.
func (s *Socket) BlockSuggestion(payload json.RawMessage) (string, error) {
	return s.Interactive(payload)
}

// Disconnect sends {"type":"disconnect","reason":reason} on the newest
// open connection, as Slack does before it refreshes or drops a link
// (reasons: refresh_requested, link_disabled, warning). The bot is expected
// to open a new connection and close this one.
func (s *Socket) Disconnect(reason string) error {
	c, err := s.current()
	if err != nil {
		return err
	}
	return c.write(map[string]any{"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "slacktest"}})
}

// Drop closes the newest open connection without a word (a network failure).
func (s *Socket) Drop() error {
	c, err := s.current()
	if err != nil {
		return err
	}
	return c.ws.NetConn().Close()
}

// Acks returns every ack received, in order.
func (s *Socket) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.acks...)
}

func (s *Socket) acksFor(id string) []Ack {
	var out []Ack
	for _, a := range s.acks {
		if a.EnvelopeID == id {
			out = append(out, a)
		}
	}
	return out
}

// WaitAcks waits until envelope id has been acknowledged n times and
// returns those acks.
func (s *Socket) WaitAcks(id string, n int, timeout time.Duration) ([]Ack, error) {
	var out []Ack
	err := s.wait(timeout, fmt.Sprintf("%d ack(s) of %s", n, id), func() bool {
		out = s.acksFor(id)
		return len(out) >= n
	})
	return out, err
}

// WaitAck waits for the first ack of envelope id.
func (s *Socket) WaitAck(id string, timeout time.Duration) (Ack, error) {
	acks, err := s.WaitAcks(id, 1, timeout)
	if err != nil {
		return Ack{}, err
	}
	return acks[0], nil
}
