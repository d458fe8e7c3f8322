package slacktest

import (
	"testing"
	"time"
)

// Per channel, a burst then one call per interval; the next is answered
// 429 with Retry-After and Slack's body, counted, and does not land.
func TestChannelLimit(t *testing.T) {
	s := New(t, "xoxb-good")
	post := func(ch string) map[string]any {
		return call(t, s, "chat.postMessage", "xoxb-good", `{"channel":"`+ch+`","text":"hi"}`)
	}
	if out := post("C1"); out["ok"] != true {
		t.Fatalf("unlimited by default: %v", out)
	}
	const iv = 200 * time.Millisecond
	s.LimitChannels(ChannelLimit{Interval: iv, Burst: 2})
	first := post("C1")
	if first["ok"] != true || post("C1")["ok"] != true {
		t.Fatal("the burst of 2 was refused")
	}
	over := call(t, s, "chat.update", "xoxb-good", `{"channel":"C1","ts":"`+first["ts"].(string)+`","text":"new"}`)
	if over["status"] != 429 || over["retry"] != "1" || over["error"] != "ratelimited" || over["ok"] != false {
		t.Fatalf("third call in C1 (an update): %v, want 429, Retry-After 1, ratelimited", over)
	}
	if m, _ := s.Message("C1", first["ts"].(string)); m.Text != "hi" {
		t.Fatalf("a refused update changed the message to %q", m.Text)
	}
	if out := post("C2"); out["ok"] != true {
		t.Fatalf("another channel was limited: %v", out)
	}
	if out := call(t, s, "auth.test", "xoxb-good", `{}`); out["ok"] != true {
		t.Fatalf("a method without a channel was limited: %v", out)
	}
	time.Sleep(iv)
	if out := post("C1"); out["ok"] != true {
		t.Fatalf("one interval later: %v", out)
	}
	st := s.Stats("C1", time.Second)
	if st.Accepted != 3 || st.Rejected != 1 || st.Peak != 3 {
		t.Fatalf("C1 stats %+v, want 3 accepted, 1 rejected, peak 3 in a second", st)
	}
	if st := s.Stats("C1", iv/2); st.Peak != 2 {
		t.Fatalf("peak in %v = %d, want the burst of 2", iv/2, st.Peak)
	}
	if r := s.Rejected(); len(r) != 1 || r[0].Method != "chat.update" {
		t.Fatalf("rejected %v", r)
	}
}
