package slacktest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func call(t *testing.T, s *Server, method, token, body string) map[string]any {
	t.Helper()
	out, err := try(s, method, token, body)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// try is call for goroutines, which must not stop the test themselves.
func try(s *Server, method, token, body string) (map[string]any, error) {
	req, _ := http.NewRequest(http.MethodPost, s.APIURL()+method, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if resp.StatusCode == http.StatusTooManyRequests {
		out = map[string]any{}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		out["status"], out["retry"] = 429, resp.Header.Get("Retry-After")
		return out, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// The fake refuses what Slack refuses, with Slack's error strings.
func TestFakeIsStrict(t *testing.T) {
	s := New(t, "xoxb-good")
	long := strings.Repeat("x", 76)
	many := strings.Repeat(`{"type":"divider"},`, 50) + `{"type":"divider"}`
	cases := []struct{ name, method, token, body, want string }{
		{"no token", "chat.postMessage", "", `{"channel":"C1","text":"hi"}`, "not_authed"},
		{"bad token", "chat.postMessage", "xoxb-bad", `{"channel":"C1","text":"hi"}`, "invalid_auth"},
		{"user token", "chat.postMessage", "xoxp-good", `{"channel":"C1","text":"hi"}`, "invalid_auth"},
		{"no channel", "chat.postMessage", "xoxb-good", `{"text":"hi"}`, "channel_not_found"},
		{"no text", "chat.postMessage", "xoxb-good", `{"channel":"C1"}`, "no_text"},
		{"51 blocks", "chat.postMessage", "xoxb-good", `{"channel":"C1","blocks":[` + many + `]}`, "invalid_blocks"},
		{"long button", "chat.postMessage", "xoxb-good", `{"channel":"C1","blocks":[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"` + long + `"}}]}]}`, "invalid_blocks"},
		{"11 fields", "chat.postMessage", "xoxb-good", `{"channel":"C1","blocks":[{"type":"section","fields":[` + strings.Repeat(`{"type":"mrkdwn","text":"f"},`, 10) + `{"type":"mrkdwn","text":"f"}]}]}`, "invalid_blocks"},
		{"long header", "chat.postMessage", "xoxb-good", `{"channel":"C1","blocks":[{"type":"header","text":{"type":"plain_text","text":"` + strings.Repeat("h", 151) + `"}}]}`, "invalid_blocks"},
		{"input in message", "chat.postMessage", "xoxb-good", `{"channel":"C1","blocks":[{"type":"input","label":{"type":"plain_text","text":"l"},"element":{"type":"plain_text_input"}}]}`, "invalid_blocks"},
		{"update without ts", "chat.update", "xoxb-good", `{"channel":"C1","text":"hi"}`, "missing_argument"},
		{"update unknown", "chat.update", "xoxb-good", `{"channel":"C1","ts":"1.2","text":"hi"}`, "message_not_found"},
		{"ephemeral no user", "chat.postEphemeral", "xoxb-good", `{"channel":"C1","text":"hi"}`, "user_not_found"},
		{"open no trigger", "views.open", "xoxb-good", `{"view":{"type":"modal","title":{"type":"plain_text","text":"t"},"blocks":[{"type":"divider"}]}}`, "missing_argument"},
		{"long title", "views.open", "xoxb-good", `{"trigger_id":"1","view":{"type":"modal","title":{"type":"plain_text","text":"` + strings.Repeat("t", 25) + `"},"blocks":[{"type":"divider"}]}}`, "invalid_arguments"},
		{"input no submit", "views.open", "xoxb-good", `{"trigger_id":"1","view":{"type":"modal","title":{"type":"plain_text","text":"t"},"blocks":[{"type":"input","label":{"type":"plain_text","text":"l"},"element":{"type":"plain_text_input"}}]}}`, "invalid_arguments"},
		{"long option", "views.open", "xoxb-good", `{"trigger_id":"1","view":{"type":"modal","title":{"type":"plain_text","text":"t"},"submit":{"type":"plain_text","text":"s"},"blocks":[{"type":"input","label":{"type":"plain_text","text":"l"},"element":{"type":"static_select","options":[{"text":{"type":"plain_text","text":"` + long + `"},"value":"v"}]}}]}}`, "invalid_arguments"},
		{"no group", "usergroups.users.list", "xoxb-good", `{}`, "missing_argument"},
		{"unknown group", "usergroups.users.list", "xoxb-good", `{"usergroup":"S9"}`, "no_such_subteam"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := call(t, s, tc.method, tc.token, tc.body)
			if out["ok"] != false || out["error"] != tc.want {
				t.Fatalf("answer %v, want error %s", out, tc.want)
			}
		})
	}
	if n := len(s.Calls()); n != len(cases) {
		t.Fatalf("recorded %d calls, want %d", n, len(cases))
	}
}

func TestFakeStateAndRateLimit(t *testing.T) {
	s := New(t, "xoxb-good")
	out := call(t, s, "chat.postMessage", "xoxb-good", `{"channel":"C1","text":"hi"}`)
	ts, _ := out["ts"].(string)
	if out["ok"] != true || ts == "" {
		t.Fatalf("post: %v", out)
	}
	if out := call(t, s, "chat.postMessage", "xoxb-good", `{"channel":"C1","text":"re","thread_ts":"`+ts+`"}`); out["ok"] != true {
		t.Fatalf("thread reply: %v", out)
	}
	if out := call(t, s, "chat.update", "xoxb-good", `{"channel":"C1","ts":"`+ts+`","text":"new"}`); out["ok"] != true {
		t.Fatalf("update: %v", out)
	}
	if m, _ := s.Message("C1", ts); m.Text != "new" {
		t.Fatalf("message text %q", m.Text)
	}
	s.RateLimitOnce("auth.test", 3)
	if out := call(t, s, "auth.test", "xoxb-good", `{}`); out["status"] != 429 || out["retry"] != "3" {
		t.Fatalf("rate limit: %v", out)
	}
	if out := call(t, s, "auth.test", "xoxb-good", `{}`); out["ok"] != true {
		t.Fatalf("after the 429: %v", out)
	}
	s.NotInChannel("C2")
	if out := call(t, s, "chat.postMessage", "xoxb-good", `{"channel":"C2","text":"hi"}`); out["error"] != "not_in_channel" {
		t.Fatalf("not in channel: %v", out)
	}
}
