package teams_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/adapters/teams"
	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
)

const connChannel = "19:approvals0123@thread.tacv2"

var connUser = teamstest.User{MRI: "29:1-alice-mri", AADObjectID: "aad-alice-0001", Name: "Alice Tech", Email: "alice@lab.example", UPN: "alice@corp.lab.example"}

// connRig is a connector wired to the fake, with the sleeps it asked for
// and its log captured.
type connRig struct {
	s      *teamstest.Server
	tokens *teams.TokenSource
	c      *teams.Connector
	log    *bytes.Buffer

	mu     sync.Mutex
	sleeps []time.Duration
}

func (r *connRig) slept() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.sleeps...)
}

// newConnRig builds the rig; allow extra service URLs with also.
func newConnRig(t *testing.T, mutate func(*teams.ConnectorConfig), also ...string) *connRig {
	t.Helper()
	r := &connRig{s: teamstest.New(t, teamstest.Options{}), log: &bytes.Buffer{}}
	r.s.AddUser(connUser)
	r.s.AddChannel(connChannel, "19:team-general@thread.tacv2")
	r.tokens = mustTokens(t, tokConfig(r.s))
	cfg := teams.ConnectorConfig{
		Tokens:     r.tokens,
		HTTPClient: r.s.Client(),
		AllowServiceURL: func(u string) bool {
			for _, a := range also {
				if u == a {
					return true
				}
			}
			return u == r.s.ServiceURL()
		},
		Log: zerolog.New(r.log).Level(zerolog.DebugLevel),
		Sleep: func(_ context.Context, d time.Duration) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.sleeps = append(r.sleeps, d)
			return nil
		},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := teams.NewConnector(cfg)
	if err != nil {
		t.Fatalf("NewConnector: %v", err)
	}
	r.c = c
	return r
}

var connCard = json.RawMessage(`{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"Unlock jdoe?"}]}`)

func TestConnectorThreadReplyUpdate(t *testing.T) {
	r := newConnRig(t, nil)
	ctx := context.Background()
	svc := r.s.ServiceURL()

	conv, root, err := r.c.CreateChannelThread(ctx, svc, "", connChannel, teams.Outgoing{Summary: "Unlock request", Card: connCard})
	if err != nil {
		t.Fatalf("CreateChannelThread: %v", err)
	}
	if conv != connChannel+";messageid="+root || root == "" {
		t.Fatalf("thread = %q, %q; want %q;messageid=<activity id>", conv, root, connChannel)
	}
	var sent map[string]any
	bodies := r.s.Bodies()
	if err := json.Unmarshal([]byte(bodies[len(bodies)-1]), &sent); err != nil {
		t.Fatal(err)
	}
	act, _ := sent["activity"].(map[string]any)
	att, _ := act["attachments"].([]any)
	if sent["isGroup"] != true || sent["tenantId"] != teamstest.DefaultTenantID ||
		sent["channelData"].(map[string]any)["channel"].(map[string]any)["id"] != connChannel ||
		act["type"] != "message" || len(att) != 1 || att[0].(map[string]any)["contentType"] != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("create body = %s", bodies[len(bodies)-1])
	}
	if _, has := act["timestamp"]; has {
		t.Fatalf("activity carries a zero timestamp: %s", bodies[len(bodies)-1])
	}

	reply, err := r.c.Reply(ctx, svc, conv, root, teams.Outgoing{Text: "Approved by Bob."})
	if err != nil || reply == "" {
		t.Fatalf("Reply = %q, %v", reply, err)
	}
	inThread, err := r.c.Send(ctx, svc, conv, teams.Outgoing{Text: "Unlocked jdoe."})
	if err != nil || inThread == "" {
		t.Fatalf("Send to thread = %q, %v", inThread, err)
	}
	done := json.RawMessage(`{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"Done"}]}`)
	if err := r.c.Update(ctx, svc, conv, root, teams.Outgoing{Card: done}); err != nil {
		t.Fatalf("Update: %v", err)
	}

	got := r.s.Activities(connChannel)
	if len(got) != 3 || got[0].ID != root || got[1].ID != reply || got[2].ID != inThread {
		t.Fatalf("channel activities = %+v", got)
	}
	if got[0].Versions != 2 || !bytes.Equal(got[0].Card, done) {
		t.Fatalf("root after update: versions %d card %s", got[0].Versions, got[0].Card)
	}
	if got[1].ReplyToID != root || got[1].ConversationID != conv || got[2].ConversationID != conv {
		t.Fatalf("replies not in the thread: %+v", got[1:])
	}
}

func TestConnectorPersonalAndMember(t *testing.T) {
	r := newConnRig(t, nil)
	ctx := context.Background()
	svc := r.s.ServiceURL()
	want := r.s.Personal(connUser).ID
	for _, id := range []string{connUser.MRI, connUser.AADObjectID} {
		conv, err := r.c.CreatePersonal(ctx, svc, teamstest.DefaultTenantID, id)
		if err != nil || conv != want {
			t.Fatalf("CreatePersonal(%s) = %q, %v; want %q", id, conv, err, want)
		}
	}
	id, err := r.c.Send(ctx, svc, want, teams.Outgoing{Text: "Your new password is ready.", Card: connCard})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if p, ok := r.s.Activity(want, id); !ok || p.Text != "Your new password is ready." || p.Card == nil {
		t.Fatalf("posted = %+v, %v", p, ok)
	}
	m, err := r.c.Member(ctx, svc, connChannel, connUser.MRI)
	if err != nil || m.ID != connUser.MRI || m.AadObjectID != connUser.AADObjectID || m.Name != connUser.Name ||
		m.Email != connUser.Email || m.UserPrincipalName != connUser.UPN {
		t.Fatalf("Member = %+v, %v", m, err)
	}

	_, err = r.c.CreatePersonal(ctx, svc, "", "29:nobody")
	var ae *teams.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
		t.Fatalf("CreatePersonal(unknown) err = %v, want a 404 APIError", err)
	}
	_, err = r.c.Member(ctx, svc, connChannel, "29:nobody")
	if err == nil || err.Error() != "Teams refused the member lookup: MemberNotFoundInConversation (that user is not a member of the conversation)" {
		t.Fatalf("Member(unknown) err = %v", err)
	}
}

func TestConnectorErrorSentences(t *testing.T) {
	r := newConnRig(t, nil)
	ctx := context.Background()
	svc := r.s.ServiceURL()
	conv, root, err := r.c.CreateChannelThread(ctx, svc, "", connChannel, teams.Outgoing{Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"gone conversation", func() error {
			_, err := r.c.Send(ctx, svc, "a:gone", teams.Outgoing{Text: "x"})
			return err
		}, "Teams refused the message: ConversationNotFound (the conversation is gone or the bot was removed from it)"},
		{"gone activity", func() error {
			return r.c.Update(ctx, svc, conv, "999", teams.Outgoing{Text: "x"})
		}, "Teams refused the update: ActivityNotFoundInConversation (the message it refers to no longer exists)"},
		{"too big", func() error {
			_, err := r.c.Reply(ctx, svc, conv, root, teams.Outgoing{Text: strings.Repeat("x", 30<<10)})
			return err
		}, "Teams refused the message: MessageSizeTooBig (the message is over Teams' 28 KB limit)"},
		{"empty message", func() error {
			_, err := r.c.Send(ctx, svc, conv, teams.Outgoing{})
			return err
		}, "Teams refused the message: BadArgument (A message activity must have text or attachments.)"},
		{"unknown channel", func() error {
			_, _, err := r.c.CreateChannelThread(ctx, svc, "", "19:nope@thread.tacv2", teams.Outgoing{Text: "x"})
			return err
		}, "Teams refused to start the thread: ConversationNotFound (the conversation is gone or the bot was removed from it)"},
	}
	for _, tc := range cases {
		err := tc.call()
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: err = %v\nwant %s", tc.name, err, tc.want)
		}
	}
	if n := len(r.slept()); n != 0 {
		t.Errorf("4xx answers were retried (%d sleeps)", n)
	}
	tok, _ := r.tokens.Token(ctx)
	if strings.Contains(r.log.String(), tok) {
		t.Error("the log holds the token")
	}
}

func TestConnectorHonoursRetryAfter(t *testing.T) {
	r := newConnRig(t, nil)
	r.s.Throttle(2, 3*time.Second)
	id, err := r.c.Send(context.Background(), r.s.ServiceURL(), r.s.Personal(connUser).ID, teams.Outgoing{Text: "hi"})
	if err != nil || id == "" {
		t.Fatalf("Send = %q, %v", id, err)
	}
	if got := r.slept(); len(got) != 2 || got[0] != 3*time.Second || got[1] != 3*time.Second {
		t.Fatalf("sleeps = %v, want [3s 3s]", got)
	}
	if n := r.s.Calls()[teamstest.CallSend]; n != 3 {
		t.Fatalf("send calls = %d, want 3", n)
	}
}

func TestConnectorRefusesLongRetryAfterAndDeadline(t *testing.T) {
	r := newConnRig(t, nil)
	conv := r.s.Personal(connUser).ID
	r.s.Throttle(1, 30*time.Second)
	_, err := r.c.Send(context.Background(), r.s.ServiceURL(), conv, teams.Outgoing{Text: "hi"})
	var ae *teams.APIError
	if !errors.As(err, &ae) || ae.Code != teams.CodeThrottled || !strings.Contains(err.Error(), "try again in a minute") {
		t.Fatalf("err = %v, want a throttled sentence", err)
	}
	r.s.Throttle(1, 2*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := r.c.Send(ctx, r.s.ServiceURL(), conv, teams.Outgoing{Text: "hi"}); err == nil {
		t.Fatal("Send waited past its deadline")
	}
	if got := r.slept(); len(got) != 0 {
		t.Fatalf("sleeps = %v, want none (30 s is over the cap; 2 s is past the deadline)", got)
	}
}

func TestConnectorRetries5xxBounded(t *testing.T) {
	r := newConnRig(t, nil)
	conv := r.s.Personal(connUser).ID
	r.s.FailNext(2, http.StatusBadGateway)
	if _, err := r.c.Send(context.Background(), r.s.ServiceURL(), conv, teams.Outgoing{Text: "hi"}); err != nil {
		t.Fatalf("Send after two 502s: %v", err)
	}
	r.s.FailNext(100, http.StatusServiceUnavailable)
	_, err := r.c.Send(context.Background(), r.s.ServiceURL(), conv, teams.Outgoing{Text: "hi"})
	if err == nil || err.Error() != "Teams refused the message: ServiceError (HTTP 503: Teams had a problem, try again in a minute)" {
		t.Fatalf("err = %v", err)
	}
	if n := r.s.Calls()[teamstest.CallSend]; n != 3+4 {
		t.Fatalf("send calls = %d, want 3 then 4 (1 + MaxRetries 3)", n)
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second}
	if got := r.slept(); len(got) != len(want) || got[4] != want[4] || got[0] != want[0] {
		t.Fatalf("sleeps = %v, want %v", got, want)
	}
}

func TestConnectorNoRetriesWhenMaxRetriesNegative(t *testing.T) {
	r := newConnRig(t, func(c *teams.ConnectorConfig) { c.MaxRetries = -1 })
	r.s.FailNext(1, http.StatusInternalServerError)
	if _, err := r.c.Send(context.Background(), r.s.ServiceURL(), r.s.Personal(connUser).ID, teams.Outgoing{Text: "hi"}); err == nil {
		t.Fatal("Send retried with MaxRetries -1")
	}
	if n := r.s.Calls()[teamstest.CallSend]; n != 1 {
		t.Fatalf("send calls = %d, want 1", n)
	}
}

func TestConnector401RefreshesTokenOnce(t *testing.T) {
	r := newConnRig(t, nil)
	ctx := context.Background()
	conv := r.s.Personal(connUser).ID
	if _, err := r.c.Send(ctx, r.s.ServiceURL(), conv, teams.Outgoing{Text: "one"}); err != nil {
		t.Fatal(err)
	}
	r.s.ExpireTokens() // Teams stops accepting the cached token
	if _, err := r.c.Send(ctx, r.s.ServiceURL(), conv, teams.Outgoing{Text: "two"}); err != nil {
		t.Fatalf("Send after the token expired at Teams: %v", err)
	}
	if r.s.TokenRequests() != 2 || r.s.Calls()[teamstest.CallSend] != 3 {
		t.Fatalf("token requests %d, send calls %d; want 2 and 3", r.s.TokenRequests(), r.s.Calls()[teamstest.CallSend])
	}
}

func TestConnector401TwiceIsAnError(t *testing.T) {
	var hits atomic.Int32
	deny := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"Authorization has been denied for this request."}`))
	}))
	t.Cleanup(deny.Close)
	r := newConnRig(t, nil, deny.URL+"/")
	_, err := r.c.Send(context.Background(), deny.URL+"/", "a:x", teams.Outgoing{Text: "hi"})
	if err == nil || !strings.Contains(err.Error(), "Unauthorized") || !strings.Contains(err.Error(), "TEAMS_APP_PASSWORD") {
		t.Fatalf("err = %v", err)
	}
	if hits.Load() != 2 || r.s.TokenRequests() != 2 {
		t.Fatalf("connector hits %d, token requests %d; want 2 and 2 (one refresh)", hits.Load(), r.s.TokenRequests())
	}
	tok, _ := r.tokens.Token(context.Background())
	if strings.Contains(err.Error(), tok) {
		t.Fatal("the error holds the token")
	}
}

func TestConnectorNeverSendsToUntrustedServiceURL(t *testing.T) {
	var hits atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(evil.Close)
	// An allowed URL that redirects to evil: the redirect is not followed.
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirect.Close)
	r := newConnRig(t, nil, redirect.URL+"/")
	ctx := context.Background()

	_, err := r.c.Send(ctx, evil.URL+"/", "a:x", teams.Outgoing{Text: "hi"})
	var ae *teams.APIError
	if !errors.As(err, &ae) || ae.Code != teams.CodeServiceURLNotAllowed || !strings.Contains(err.Error(), "token was not sent") {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := r.c.CreateChannelThread(ctx, "https://user:pw@"+strings.TrimPrefix(r.s.ServiceURL(), "http://"), "", connChannel, teams.Outgoing{Text: "x"}); err == nil {
		t.Fatal("a service URL with credentials was used")
	}
	if r.s.TokenRequests() != 0 {
		t.Fatalf("a token was fetched (%d requests) for an untrusted URL", r.s.TokenRequests())
	}
	if _, err := r.c.Send(ctx, redirect.URL+"/", "a:x", teams.Outgoing{Text: "hi"}); err == nil {
		t.Fatal("a redirect answer was taken as success")
	}
	if hits.Load() != 0 {
		t.Fatalf("the untrusted server got %d requests", hits.Load())
	}
}

func TestConnectorConnectionErrorsRetriedBounded(t *testing.T) {
	var hits atomic.Int32
	drop := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		hits.Add(1)
		panic(http.ErrAbortHandler) // closes the connection without an answer
	}))
	t.Cleanup(drop.Close)
	r := newConnRig(t, nil, drop.URL+"/")
	_, err := r.c.Send(context.Background(), drop.URL+"/", "a:x", teams.Outgoing{Text: "hi"})
	var ae *teams.APIError
	if !errors.As(err, &ae) || ae.Code != teams.CodeUnreachable || !strings.HasPrefix(err.Error(), "Teams did not answer at ") {
		t.Fatalf("err = %v", err)
	}
	if hits.Load() != 4 || len(r.slept()) != 3 {
		t.Fatalf("attempts %d, sleeps %v; want 4 and 3", hits.Load(), r.slept())
	}
}

func TestNewConnectorNeedsAllowServiceURL(t *testing.T) {
	s := teamstest.New(t, teamstest.Options{})
	if _, err := teams.NewConnector(teams.ConnectorConfig{Tokens: mustTokens(t, tokConfig(s))}); err == nil || !strings.Contains(err.Error(), "AllowServiceURL") {
		t.Fatalf("err = %v", err)
	}
	if _, err := teams.NewConnector(teams.ConnectorConfig{AllowServiceURL: func(string) bool { return true }}); err == nil {
		t.Fatal("a connector without a token source was built")
	}
}
