package slack

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/identity"
)

const testAppToken = "xapp-1-A0FAKE-1-socket-secret"

var testTuning = socketTuning{minBackoff: 10 * time.Millisecond, maxBackoff: 100 * time.Millisecond, idle: 3 * time.Second}

const ackWait = 5 * time.Second

// sockEnv is env with the bot on Socket Mode: the fake's socket side in
// front of the same fake Web API.
type sockEnv struct {
	*env
	sock *slacktest.Socket
}

func newSocketEnv(t *testing.T, st storeT) *sockEnv {
	t.Helper()
	e := newEnv(t, st)
	s := &sockEnv{env: e, sock: slacktest.NewSocket(t, e.fake, testAppToken)}
	e.a.api.base = s.sock.APIURL()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.runSocket(ctx, identity.NewSecret(testAppToken), testTuning) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("RunSocketMode: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("RunSocketMode did not return after its context ended")
		}
		e.wait()
	})
	if err := s.sock.WaitConnected(1, ackWait); err != nil {
		t.Fatal(err)
	}
	return s
}

// interactive pushes the payload an HTTP test would have form-posted.
func (s *sockEnv) interactive(form url.Values) string {
	s.t.Helper()
	id, err := s.sock.Interactive(json.RawMessage(form.Get("payload")))
	if err != nil {
		s.t.Fatal(err)
	}
	return id
}

func (s *sockEnv) command(user, channel, text string) string {
	s.t.Helper()
	id, err := s.sock.SlashCommand(s.env.command(user, channel, text))
	if err != nil {
		s.t.Fatal(err)
	}
	return id
}

func (s *sockEnv) ack(id string) slacktest.Ack {
	s.t.Helper()
	a, err := s.sock.WaitAck(id, ackWait)
	if err != nil {
		s.t.Fatal(err)
	}
	return a
}

func (s *sockEnv) viewOpens(callback string) int {
	n := 0
	for _, c := range s.fake.Calls("views.open") {
		if v, _ := c.Args["view"].(map[string]any); v["callback_id"] == callback {
			n++
		}
	}
	return n
}

func TestSocketCommandOpensModal(t *testing.T) {
	s := newSocketEnv(t, nil)
	if a := s.ack(s.command(uTech, chAcme, "alice")); a.Payload != nil {
		t.Fatalf("ack payload %s, want none (the modal is the answer)", a.Payload)
	}
	opens := s.fake.Calls("views.open")
	if len(opens) != 1 {
		t.Fatalf("%d views.open, want 1", len(opens))
	}
	if v := opens[0].Args["view"].(map[string]any); v["callback_id"] != string(bot.FormRequest) || v["private_metadata"] != chAcme {
		t.Fatalf("view callback %v metadata %v", v["callback_id"], v["private_metadata"])
	}
	if !strings.Contains(opens[0].Body, `"value":"alice"`) {
		t.Fatal("modal does not preselect alice")
	}

	// A refusal is the ephemeral answer, carried by the ack.
	a := s.ack(s.command(uOther, chAcme, ""))
	var m map[string]string
	if err := json.Unmarshal(a.Payload, &m); err != nil || m["response_type"] != "ephemeral" || !strings.Contains(m["text"], "not a technician") {
		t.Fatalf("ack payload %s, want an ephemeral refusal", a.Payload)
	}
	if len(s.fake.Calls("views.open")) != 1 {
		t.Fatal("refused command opened a modal")
	}
}

func TestSocketSubmission(t *testing.T) {
	s := newSocketEnv(t, nil)
	f := validForm()
	f.reason = "ok"
	var ans struct {
		Action string            `json:"response_action"`
		Errors map[string]string `json:"errors"`
	}
	a := s.ack(s.interactive(s.submission(uTech, f)))
	if err := json.Unmarshal(a.Payload, &ans); err != nil || ans.Action != "errors" || !strings.Contains(ans.Errors[string(bot.FieldReason)], "why") {
		t.Fatalf("ack payload %s, want response_action errors on the reason", a.Payload)
	}
	if n := len(s.fake.Calls("chat.postMessage")); n != 0 {
		t.Fatalf("%d messages posted for a refused form", n)
	}

	a = s.ack(s.interactive(s.submission(uTech, validForm())))
	if err := json.Unmarshal(a.Payload, &ans); err != nil || ans.Action != "clear" {
		t.Fatalf("ack payload %s, want response_action clear", a.Payload)
	}
	if posts := s.fake.Calls("chat.postMessage"); len(posts) != 1 || buttonValue(posts[0], bot.ActionApprove) == "" {
		t.Fatalf("approval posts %+v", posts)
	}
}

func TestSocketBlockSuggestion(t *testing.T) {
	s := newSocketEnv(t, nil)
	id, err := s.sock.BlockSuggestion(json.RawMessage(s.suggestion(uTech, "account", "", "acme").Get("payload")))
	if err != nil {
		t.Fatal(err)
	}
	a := s.ack(id)
	var out struct {
		Options []struct {
			Value string `json:"value"`
		} `json:"options"`
	}
	if err := json.Unmarshal(a.Payload, &out); err != nil || len(out.Options) == 0 || out.Options[0].Value != "alice" {
		t.Fatalf("ack payload %s, want options with alice (locked) first", a.Payload)
	}
}

// The approve click arrives twice with one envelope id (Slack's retry):
// one reset, and the duplicate is acked without running anything.
func TestSocketApproveOnceDespiteRetry(t *testing.T) {
	stores(t, func(t *testing.T, st storeT) {
		s := newSocketEnv(t, st)
		pw := "Typed-Secret-9z!Q"
		f := validForm()
		f.password = pw
		s.ack(s.interactive(s.submission(uTech, f)))
		posts := s.fake.Calls("chat.postMessage")
		if len(posts) != 1 {
			t.Fatalf("%d approval posts", len(posts))
		}
		reqID := buttonValue(posts[0], bot.ActionApprove)

		click := json.RawMessage(s.click(uApprover, chApprovals, bot.ActionApprove, reqID).Get("payload"))
		const env = "env-approve-0001"
		for attempt := range 2 {
			if _, err := s.sock.Send(slacktest.Envelope{ID: env, Type: "interactive", Payload: click, AcceptsResponsePayload: true,
				RetryAttempt: attempt, RetryReason: map[int]string{1: "timeout"}[attempt]}); err != nil {
				t.Fatal(err)
			}
		}
		acks, err := s.sock.WaitAcks(env, 2, ackWait)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range acks {
			if a.Payload != nil {
				t.Fatalf("click ack payload %s, want none", a.Payload)
			}
		}
		s.wait()
		if u, _ := s.dir.User("alice"); u.Lock.Locked || u.Password != pw || s.dir.Calls.SetPassword != 1 {
			t.Fatalf("alice locked=%t, SetPassword=%d", u.Lock.Locked, s.dir.Calls.SetPassword)
		}
		if eph := s.fake.Calls("chat.postEphemeral"); len(eph) != 0 {
			t.Fatalf("the duplicate ran: %+v", eph)
		}
		logs := s.logs.String()
		if !strings.Contains(logs, "slack.replay_refused") {
			t.Fatal("the duplicate envelope was not logged as refused")
		}
		for _, secret := range []string{pw, testAppToken, "ticket=", "Called back on the HR phone number"} {
			if strings.Contains(logs, secret) {
				t.Fatalf("%q reached the log", secret)
			}
		}
	})
}

func TestSocketReconnects(t *testing.T) {
	s := newSocketEnv(t, nil)
	if a := s.ack(s.command(uTech, chAcme, "alice")); a.Conn != 1 {
		t.Fatalf("ack on connection %d", a.Conn)
	}
	// Slack asks for a refresh: a new link at once, the old one closed.
	if err := s.sock.Disconnect("refresh_requested"); err != nil {
		t.Fatal(err)
	}
	if err := s.sock.WaitConnected(2, ackWait); err != nil {
		t.Fatal(err)
	}
	if a := s.ack(s.command(uTech, chAcme, "alice")); a.Conn != 2 {
		t.Fatalf("ack on connection %d, want 2", a.Conn)
	}
	// The network fails: reconnect after the backoff.
	if err := s.sock.Drop(); err != nil {
		t.Fatal(err)
	}
	if err := s.sock.WaitConnected(3, ackWait); err != nil {
		t.Fatal(err)
	}
	if a := s.ack(s.command(uTech, chAcme, "alice")); a.Conn != 3 {
		t.Fatalf("ack on connection %d, want 3", a.Conn)
	}
	if n := s.viewOpens(string(bot.FormRequest)); n != 3 {
		t.Fatalf("%d modals opened, want 3", n)
	}
	if n := len(s.fake.Calls("apps.connections.open")); n != 3 {
		t.Fatalf("%d apps.connections.open, want 3", n)
	}
	deadline := time.Now().Add(ackWait)
	for s.sock.OpenConnections() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open, want 1 (the old ones closed)", s.sock.OpenConnections())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSocketTransientOpenFailureRetried(t *testing.T) {
	e := newEnv(t, nil)
	sock := slacktest.NewSocket(t, e.fake, testAppToken)
	e.a.api.base = sock.APIURL()
	e.fake.FailNext("apps.connections.open", "internal_error")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.runSocket(ctx, identity.NewSecret(testAppToken), testTuning) }()
	if err := sock.WaitConnected(1, ackWait); err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.Calls("apps.connections.open")); n != 2 {
		t.Fatalf("%d apps.connections.open, want the failure and the retry", n)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunSocketMode after cancel: %v", err)
		}
	case <-time.After(ackWait):
		t.Fatal("RunSocketMode did not return")
	}
	if err := sock.WaitClosed(ackWait); err != nil {
		t.Fatal(err)
	}
}

func TestSocketBadAppToken(t *testing.T) {
	e := newEnv(t, nil)
	sock := slacktest.NewSocket(t, e.fake, testAppToken)
	e.a.api.base = sock.APIURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	err := e.a.RunSocketMode(ctx, identity.NewSecret(testToken)) // the bot token by mistake
	if err == nil || !strings.Contains(err.Error(), "xapp-") {
		t.Fatalf("bot token as app token: %v", err)
	}
	if n := len(e.fake.Calls("apps.connections.open")); n != 0 {
		t.Fatalf("a non-app token was sent to Slack (%d calls)", n)
	}

	const wrong = "xapp-1-A0FAKE-1-wrong-secret"
	err = e.a.RunSocketMode(ctx, identity.NewSecret(wrong))
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") {
		t.Fatalf("wrong app token: %v, want a clear invalid_auth error", err)
	}
	if n := len(e.fake.Calls("apps.connections.open")); n != 1 {
		t.Fatalf("%d apps.connections.open, want 1", n)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(e.logs.String(), wrong) {
		t.Fatal("the app token reached the error or the log")
	}
}

// Envelopes unlockbot has no use for, or cannot read, are acked (so Slack
// does not resend them) and run nothing.
func TestSocketOtherEnvelopesAcked(t *testing.T) {
	s := newSocketEnv(t, nil)
	for _, env := range []slacktest.Envelope{
		{Type: "events_api", Payload: json.RawMessage(`{"event":{"type":"app_mention"}}`)},
		{Type: "interactive", Payload: json.RawMessage(`"not an object"`), AcceptsResponsePayload: true},
		{Type: "interactive", Payload: json.RawMessage(`{"type":"view_closed","user":{"id":"UTECH"},"team":{"id":"` + teamID + `"},"api_app_id":"` + appID + `"}`)},
		{Type: "slash_commands", Payload: json.RawMessage(`[1,2]`), AcceptsResponsePayload: true},
		{Type: "slash_commands", Payload: json.RawMessage(`{"command":"/unlock","team_id":"` + teamID + `","api_app_id":"` + appID + `"}`), AcceptsResponsePayload: true}, // no user
	} {
		id, err := s.sock.Send(env)
		if err != nil {
			t.Fatal(err)
		}
		if a := s.ack(id); a.Payload != nil {
			t.Errorf("%s %s: ack payload %s, want none", env.Type, env.Payload, a.Payload)
		}
	}
	if n := len(s.fake.Calls("views.open", "chat.postMessage", "chat.postEphemeral")); n != 0 {
		t.Fatalf("%d Slack calls for envelopes that should run nothing", n)
	}
}

func TestSocketStoreFailureNotAcked(t *testing.T) {
	e := newEnv(t, nil)
	e.a.st = failingMarks{e.st}
	sock := slacktest.NewSocket(t, e.fake, testAppToken)
	e.a.api.base = sock.APIURL()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.runSocket(ctx, identity.NewSecret(testAppToken), testTuning) }()
	defer func() { cancel(); <-done }()
	if err := sock.WaitConnected(1, ackWait); err != nil {
		t.Fatal(err)
	}
	id, err := sock.SlashCommand(e.command(uTech, chAcme, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sock.WaitAck(id, 500*time.Millisecond); err == nil {
		t.Fatal("acked although the replay marker could not be set")
	}
	if len(e.fake.Calls("views.open")) != 0 {
		t.Fatal("ran without a replay marker")
	}
}

type failingMarks struct{ storeT }

func (failingMarks) Mark(context.Context, string, time.Duration) (bool, error) {
	return false, context.DeadlineExceeded
}

// runSocketFor starts the client on e with tune and returns its stop.
func runSocketFor(t *testing.T, e *env, tune socketTuning) (*slacktest.Socket, func() error) {
	t.Helper()
	sock := slacktest.NewSocket(t, e.fake, testAppToken)
	e.a.api.base = sock.APIURL()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.runSocket(ctx, identity.NewSecret(testAppToken), tune) }()
	if err := sock.WaitConnected(1, ackWait); err != nil {
		t.Fatal(err)
	}
	return sock, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("RunSocketMode did not return after its context ended")
			return nil
		}
	}
}

// The client pings; the fake's pongs keep a quiet link alive well past
// the idle limit.
func TestSocketQuietLinkKeptAlive(t *testing.T) {
	e := newEnv(t, nil)
	tune := testTuning
	tune.idle = 150 * time.Millisecond
	sock, stop := runSocketFor(t, e, tune)
	time.Sleep(5 * tune.idle)
	id, err := sock.SlashCommand(e.command(uTech, chAcme, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	if a, err := sock.WaitAck(id, ackWait); err != nil || a.Conn != 1 {
		t.Fatalf("ack %+v %v, want it on the first link", a, err)
	}
	if n := sock.Connections(); n != 1 {
		t.Fatalf("%d connections: the quiet link was dropped", n)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// Shutting down while an envelope runs: it still gets its answer, then the
// link closes and RunSocketMode returns nil.
func TestSocketShutdownAcksInFlight(t *testing.T) {
	e := newEnv(t, nil)
	sock, stop := runSocketFor(t, e, testTuning)
	e.fake.RateLimitOnce("chat.postMessage", 1) // the submission takes ≥ 1 s
	id, err := sock.Interactive(json.RawMessage(e.submission(uTech, validForm()).Get("payload")))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(ackWait)
	for len(e.fake.Calls("chat.postMessage")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the submission never reached chat.postMessage")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatalf("RunSocketMode: %v", err)
	}
	// Sent before RunSocketMode returned; the fake may still be reading it.
	a, err := sock.WaitAck(id, time.Second)
	if err != nil || !strings.Contains(string(a.Payload), `"response_action":"clear"`) {
		t.Fatalf("ack after shutdown %+v (%v), want the submission's clear", a, err)
	}
	if err := sock.WaitClosed(ackWait); err != nil {
		t.Fatal(err)
	}
	e.wait()
}
