package slacktest

import (
	"testing"
)

// auth.test and bots.info say which team and app the token belongs to.
func TestFakeWorkspace(t *testing.T) {
	s := New(t, "xoxb-good")
	out := call(t, s, "auth.test", "xoxb-good", `{}`)
	if out["team_id"] != DefaultTeamID || out["bot_id"] != BotID || out["enterprise_id"] != nil {
		t.Fatalf("auth.test: %v", out)
	}
	s.SetWorkspace(Workspace{TeamID: "T2", TeamName: "Other", EnterpriseID: "E9", AppID: "A2"})
	if out := call(t, s, "auth.test", "xoxb-good", `{}`); out["team_id"] != "T2" || out["enterprise_id"] != "E9" {
		t.Fatalf("auth.test after SetWorkspace: %v", out)
	}
	out = call(t, s, "bots.info", "xoxb-good", `{"bot":"`+BotID+`"}`)
	if bot, _ := out["bot"].(map[string]any); out["ok"] != true || bot["app_id"] != "A2" {
		t.Fatalf("bots.info: %v", out)
	}
	for body, want := range map[string]string{`{}`: "missing_argument", `{"bot":"B0"}`: "bot_not_found"} {
		if out := call(t, s, "bots.info", "xoxb-good", body); out["error"] != want {
			t.Fatalf("bots.info %s: %v, want %s", body, out, want)
		}
	}
}

// FailGroup fails every call of one group and no other; HoldGroup keeps
// one call waiting until it is released.
func TestFakeGroupFailures(t *testing.T) {
	s := New(t, "xoxb-good")
	s.SetGroup("S1", "U1")
	s.SetGroup("S2", "U2")
	s.FailGroup("S1", "internal_error")
	for range 2 {
		if out := call(t, s, "usergroups.users.list", "xoxb-good", `{"usergroup":"S1"}`); out["error"] != "internal_error" {
			t.Fatalf("failing group: %v", out)
		}
	}
	if out := call(t, s, "usergroups.users.list", "xoxb-good", `{"usergroup":"S2"}`); out["ok"] != true {
		t.Fatalf("other group: %v", out)
	}
	s.FailGroup("S1", "")
	if out := call(t, s, "usergroups.users.list", "xoxb-good", `{"usergroup":"S1"}`); out["ok"] != true {
		t.Fatalf("after the outage: %v", out)
	}

	h := s.HoldGroup("S2")
	got := make(chan map[string]any, 1)
	go func() {
		out, err := try(s, "usergroups.users.list", "xoxb-good", `{"usergroup":"S2"}`)
		if err != nil {
			out = map[string]any{"transport": err.Error()}
		}
		got <- out
	}()
	<-h.Arrived()
	select {
	case out := <-got:
		t.Fatalf("held call answered before its release: %v", out)
	default:
	}
	h.Release("ratelimited")
	if out := <-got; out["error"] != "ratelimited" {
		t.Fatalf("released call: %v", out)
	}
	if out := call(t, s, "usergroups.users.list", "xoxb-good", `{"usergroup":"S2"}`); out["ok"] != true {
		t.Fatalf("a hold is for one call: %v", out)
	}
}
