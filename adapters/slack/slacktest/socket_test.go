package slacktest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const appToken = "xapp-1-good"

func openURL(t *testing.T, s *Socket, token string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.APIURL()+"apps.connections.open", strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func dial(t *testing.T, s *Socket) *websocket.Conn {
	t.Helper()
	out := openURL(t, s, appToken)
	u, _ := out["url"].(string)
	if out["ok"] != true || !strings.HasPrefix(u, "ws://") {
		t.Fatalf("apps.connections.open: %v", out)
	}
	ws, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	var hello map[string]any
	if err := ws.ReadJSON(&hello); err != nil || hello["type"] != "hello" {
		t.Fatalf("first frame %v (%v), want hello", hello, err)
	}
	// A ticket is good for one connection.
	if _, resp, err := websocket.DefaultDialer.Dial(u, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("ticket reused: err=%v", err)
	}
	return ws
}

func TestSocketOpenChecksAppToken(t *testing.T) {
	api := New(t, "xoxb-good")
	s := NewSocket(t, api, appToken)
	for token, want := range map[string]string{"": "not_authed", "xapp-1-bad": "invalid_auth", "xoxb-good": "invalid_auth"} {
		if out := openURL(t, s, token); out["ok"] != false || out["error"] != want {
			t.Errorf("token %q: %v, want %s", token, out, want)
		}
	}
	api.FailNext("apps.connections.open", "internal_error")
	if out := openURL(t, s, appToken); out["error"] != "internal_error" {
		t.Errorf("FailNext: %v", out)
	}
	if n := len(api.Calls("apps.connections.open")); n != 4 {
		t.Errorf("%d apps.connections.open recorded, want 4", n)
	}
	// The other methods still answer, with the bot token, on the same server.
	req, _ := http.NewRequest(http.MethodPost, s.APIURL()+"auth.test", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer xoxb-good")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if out["ok"] != true || len(api.Calls("auth.test")) != 1 {
		t.Fatalf("auth.test through the socket fake: %v", out)
	}
}

func TestSocketEnvelopesAndAcks(t *testing.T) {
	s := NewSocket(t, New(t, "xoxb-good"), appToken)
	ws := dial(t, s)
	if err := s.WaitConnected(1, time.Second); err != nil {
		t.Fatal(err)
	}
	id, err := s.SlashCommand(url.Values{"command": {"/unlock"}, "user_id": {"U1"}})
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		EnvelopeID string            `json:"envelope_id"`
		Type       string            `json:"type"`
		Accepts    bool              `json:"accepts_response_payload"`
		Payload    map[string]string `json:"payload"`
		Retry      int               `json:"retry_attempt"`
	}
	if err := ws.ReadJSON(&env); err != nil {
		t.Fatal(err)
	}
	if env.EnvelopeID != id || env.Type != "slash_commands" || !env.Accepts || env.Payload["command"] != "/unlock" || env.Payload["user_id"] != "U1" {
		t.Fatalf("envelope %+v", env)
	}
	if _, err := s.WaitAck(id, 50*time.Millisecond); err == nil {
		t.Fatal("ack before the bot sent one")
	}
	if err := ws.WriteJSON(map[string]any{"envelope_id": id, "payload": map[string]any{"text": "hi"}}); err != nil {
		t.Fatal(err)
	}
	ack, err := s.WaitAck(id, time.Second)
	if err != nil || ack.Conn != 1 || string(ack.Payload) != `{"text":"hi"}` {
		t.Fatalf("ack %+v %v", ack, err)
	}
	// Same id again, as a retry: recorded as a second ack.
	if _, err := s.Send(Envelope{ID: id, Type: "interactive", RetryAttempt: 1, RetryReason: "timeout"}); err != nil {
		t.Fatal(err)
	}
	_ = ws.ReadJSON(&env)
	if env.Retry != 1 {
		t.Fatalf("retry_attempt %d", env.Retry)
	}
	_ = ws.WriteJSON(map[string]any{"envelope_id": id})
	if acks, err := s.WaitAcks(id, 2, time.Second); err != nil || acks[1].Payload != nil {
		t.Fatalf("second ack %+v %v", acks, err)
	}

	if err := s.Disconnect("refresh_requested"); err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := ws.ReadJSON(&d); err != nil || d["type"] != "disconnect" || d["reason"] != "refresh_requested" {
		t.Fatalf("disconnect frame %v %v", d, err)
	}
	if err := s.Drop(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ws.ReadMessage(); err == nil {
		t.Fatal("read after Drop succeeded")
	}
	if err := s.WaitClosed(time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Interactive(json.RawMessage(`{}`)); err == nil {
		t.Fatal("Send with no connection succeeded")
	}
	if s.Connections() != 1 || s.OpenConnections() != 0 || len(s.Acks()) != 2 {
		t.Fatalf("connections %d open %d acks %d", s.Connections(), s.OpenConnections(), len(s.Acks()))
	}
}
