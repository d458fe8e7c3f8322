package teams_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/teams"
	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
	"github.com/unlockbot/unlockbot/identity"
)

// tokClock is a settable clock for TokenConfig.Now.
type tokClock struct{ ns atomic.Int64 }

func newTokClock() *tokClock {
	c := &tokClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}
func (c *tokClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *tokClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// tokConfig is a config that works against s.
func tokConfig(s *teamstest.Server) teams.TokenConfig {
	o := s.Options()
	return teams.TokenConfig{
		AppID: o.AppID, Password: identity.NewSecret(o.AppPassword), TenantID: o.TenantID,
		AuthorityURL: s.AuthorityURL(), HTTPClient: s.Client(),
	}
}

func mustTokens(t *testing.T, cfg teams.TokenConfig) *teams.TokenSource {
	t.Helper()
	ts, err := teams.NewTokenSource(cfg)
	if err != nil {
		t.Fatalf("NewTokenSource: %v", err)
	}
	return ts
}

func TestTokenCachedUntilShortlyBeforeExpiry(t *testing.T) {
	s := teamstest.New(t, teamstest.Options{})
	clock := newTokClock()
	cfg := tokConfig(s)
	cfg.Now = clock.Now
	ts := mustTokens(t, cfg)
	ctx := context.Background()

	first, err := ts.Token(ctx)
	if err != nil || first == "" {
		t.Fatalf("Token = %q, %v", first, err)
	}
	// Entra's 3599 s lifetime: handed out until 5 min before expiry.
	clock.Advance(teamstest.DefaultTokenLifetime - 5*time.Minute - time.Second)
	if again, _ := ts.Token(ctx); again != first || s.TokenRequests() != 1 {
		t.Fatalf("within the lifetime: token changed=%v, requests=%d; want the cached one, 1 request", again != first, s.TokenRequests())
	}
	clock.Advance(2 * time.Second)
	next, err := ts.Token(ctx)
	if err != nil || next == first || s.TokenRequests() != 2 {
		t.Fatalf("inside the margin: changed=%v err=%v requests=%d; want a new token from a 2nd request", next != first, err, s.TokenRequests())
	}
}

func TestTokenShortLifetimeRefreshesAtTenPercent(t *testing.T) {
	s := teamstest.New(t, teamstest.Options{})
	s.SetTokenLifetime(100 * time.Second)
	clock := newTokClock()
	cfg := tokConfig(s)
	cfg.Now = clock.Now
	ts := mustTokens(t, cfg)
	first, _ := ts.Token(context.Background())
	clock.Advance(89 * time.Second)
	if tok, _ := ts.Token(context.Background()); tok != first {
		t.Fatal("a 100 s token was refreshed after 89 s; the margin is 10%")
	}
	clock.Advance(2 * time.Second)
	if tok, _ := ts.Token(context.Background()); tok == first {
		t.Fatal("a 100 s token was still handed out after 91 s")
	}
}

// gatedTransport holds token requests until open is closed.
type gatedTransport struct {
	open  chan struct{}
	calls atomic.Int32
	next  http.RoundTripper
}

func (g *gatedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	g.calls.Add(1)
	select {
	case <-g.open:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return g.next.RoundTrip(r)
}

func TestTokenOneRefreshForFiftyCallers(t *testing.T) {
	s := teamstest.New(t, teamstest.Options{})
	gate := &gatedTransport{open: make(chan struct{}), next: s.Client().Transport}
	cfg := tokConfig(s)
	cfg.HTTPClient = &http.Client{Transport: gate}
	ts := mustTokens(t, cfg)

	const n = 50
	var started, done sync.WaitGroup
	toks := make([]string, n)
	errs := make([]error, n)
	started.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			started.Done()
			toks[i], errs[i] = ts.Token(context.Background())
		}()
	}
	started.Wait()
	time.Sleep(20 * time.Millisecond) // let the callers reach the refresh in flight
	close(gate.open)
	done.Wait()
	for i := range n {
		if errs[i] != nil || toks[i] != toks[0] || toks[i] == "" {
			t.Fatalf("caller %d: token equal=%v err=%v", i, toks[i] == toks[0], errs[i])
		}
	}
	if got := s.TokenRequests(); got != 1 || gate.calls.Load() != 1 {
		t.Fatalf("token requests = %d (transport saw %d), want 1", got, gate.calls.Load())
	}
}

func TestTokenWaiterGivesUpWithItsContextOthersStillGetIt(t *testing.T) {
	s := teamstest.New(t, teamstest.Options{})
	gate := &gatedTransport{open: make(chan struct{}), next: s.Client().Transport}
	cfg := tokConfig(s)
	cfg.HTTPClient = &http.Client{Transport: gate}
	ts := mustTokens(t, cfg)

	patient := make(chan error, 1)
	go func() { _, err := ts.Token(context.Background()); patient <- err }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := ts.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("impatient caller: err = %v, want its deadline", err)
	}
	close(gate.open)
	if err := <-patient; err != nil {
		t.Fatalf("patient caller: %v (the impatient one's deadline must not cancel the shared request)", err)
	}
	if s.TokenRequests() != 1 {
		t.Fatalf("token requests = %d, want 1", s.TokenRequests())
	}
}

func TestTokenInvalidateOnlyDropsThatToken(t *testing.T) {
	s := teamstest.New(t, teamstest.Options{})
	ts := mustTokens(t, tokConfig(s))
	ctx := context.Background()
	first, _ := ts.Token(ctx)
	ts.Invalidate("some-older-token")
	if tok, _ := ts.Token(ctx); tok != first {
		t.Fatal("Invalidate of another token dropped the cached one")
	}
	ts.Invalidate(first)
	if tok, _ := ts.Token(ctx); tok == first || s.TokenRequests() != 2 {
		t.Fatalf("after Invalidate: same=%v requests=%d; want a new token", tok == first, s.TokenRequests())
	}
}

func TestTokenErrorsNameTheCodeAndTheSetting(t *testing.T) {
	const wrongSecret = "Wr0ng~secret-value-XYZ"
	cases := []struct {
		name   string
		mutate func(*teams.TokenConfig, *teamstest.Server)
		want   []string
	}{
		{"wrong secret", func(c *teams.TokenConfig, _ *teamstest.Server) { c.Password = identity.NewSecret(wrongSecret) },
			[]string{"AADSTS7000215", "TEAMS_APP_PASSWORD", "wrong or expired", "create a new client secret"}},
		{"unknown app", func(c *teams.TokenConfig, _ *teamstest.Server) { c.AppID = "00000000-0000-0000-0000-00000000dead" },
			[]string{"AADSTS700016", "TEAMS_APP_ID"}},
		{"unknown tenant", func(c *teams.TokenConfig, _ *teamstest.Server) { c.TenantID = "11111111-2222-3333-4444-555555555555" },
			[]string{"AADSTS90002", "TEAMS_TENANT_ID", "11111111-2222-3333-4444-555555555555"}},
		{"other code", func(_ *teams.TokenConfig, s *teamstest.Server) { s.FailTokens(1, http.StatusServiceUnavailable) },
			[]string{"AADSTS90033", "A transient error has occurred."}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := teamstest.New(t, teamstest.Options{})
			cfg := tokConfig(s)
			tc.mutate(&cfg, s)
			ts := mustTokens(t, cfg)
			tok, err := ts.Token(context.Background())
			if err == nil || tok != "" {
				t.Fatalf("Token = %q, %v; want an error", tok, err)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			for _, leak := range []string{wrongSecret, s.Options().AppPassword, "Trace ID", "\n"} {
				for _, form := range []string{msg, fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
					if strings.Contains(form, leak) {
						t.Errorf("error text holds %q: %s", leak, form)
					}
				}
			}
			var te *teams.TokenError
			if !errors.As(err, &te) {
				t.Errorf("error is %T, want *teams.TokenError", err)
			}
		})
	}
}

func TestTokenErrorIsNotCached(t *testing.T) {
	s := teamstest.New(t, teamstest.Options{})
	s.FailTokens(1, http.StatusInternalServerError)
	ts := mustTokens(t, tokConfig(s))
	if _, err := ts.Token(context.Background()); err == nil {
		t.Fatal("first Token succeeded despite the failing endpoint")
	}
	if tok, err := ts.Token(context.Background()); err != nil || tok == "" {
		t.Fatalf("second Token = %q, %v; want the endpoint asked again", tok, err)
	}
}

func TestTokenUnreachableEndpoint(t *testing.T) {
	cfg := teams.TokenConfig{AppID: "a", Password: identity.NewSecret("p4ss-unreachable"), TenantID: "t",
		AuthorityURL: "http://127.0.0.1:1", HTTPClient: &http.Client{Timeout: time.Second}}
	ts := mustTokens(t, cfg)
	_, err := ts.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "did not answer") || strings.Contains(err.Error(), "p4ss-unreachable") {
		t.Fatalf("err = %v; want a 'did not answer' sentence without the secret", err)
	}
}

func TestNewTokenSourceRefusesBadConfig(t *testing.T) {
	good := teams.TokenConfig{AppID: "app", Password: identity.NewSecret("pw"), TenantID: teamstest.DefaultTenantID}
	cases := []struct {
		name   string
		mutate func(*teams.TokenConfig)
		want   string
	}{
		{"no app id", func(c *teams.TokenConfig) { c.AppID = " " }, "TEAMS_APP_ID"},
		{"no password", func(c *teams.TokenConfig) { c.Password = identity.Secret{} }, "TEAMS_APP_PASSWORD"},
		{"no tenant", func(c *teams.TokenConfig) { c.TenantID = "" }, "TEAMS_TENANT_ID"},
		{"common", func(c *teams.TokenConfig) { c.TenantID = "common" }, "single-tenant"},
		{"organizations", func(c *teams.TokenConfig) { c.TenantID = "Organizations" }, "single-tenant"},
		{"botframework.com", func(c *teams.TokenConfig) { c.TenantID = "botframework.com" }, "single-tenant"},
		{"path in tenant", func(c *teams.TokenConfig) { c.TenantID = "x/../y" }, "not a tenant id"},
		{"plain http authority", func(c *teams.TokenConfig) { c.AuthorityURL = "http://login.example.com" }, "must be https"},
		{"not a URL", func(c *teams.TokenConfig) { c.AuthorityURL = "login.microsoftonline.com" }, "TEAMS_AUTHORITY_URL"},
	}
	if _, err := teams.NewTokenSource(good); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
	for _, tc := range cases {
		cfg := good
		tc.mutate(&cfg)
		_, err := teams.NewTokenSource(cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one naming %q", tc.name, err, tc.want)
		}
	}
}

func TestTokenRefusesAnswersThatAreNotEntras(t *testing.T) {
	cases := map[string]string{
		"no lifetime": `{"token_type":"Bearer","access_token":"abc"}`,
		"not bearer":  `{"token_type":"pop","expires_in":3599,"access_token":"abc"}`,
		"no token":    `{"token_type":"Bearer","expires_in":3599}`,
		"huge":        `{"token_type":"Bearer","expires_in":3599,"access_token":"` + strings.Repeat("a", 70<<10) + `"}`,
	}
	for name, answer := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(answer)) }))
		ts := mustTokens(t, teams.TokenConfig{AppID: "a", Password: identity.NewSecret("p"), TenantID: "t", AuthorityURL: srv.URL})
		if tok, err := ts.Token(context.Background()); err == nil || tok != "" || !strings.Contains(err.Error(), "TEAMS_AUTHORITY_URL") {
			t.Errorf("%s: Token = %q, %v", name, tok, err)
		}
		srv.Close()
	}
}

// A redirect from the token endpoint is an error, not a hop: following a
// 307 would post the client secret to wherever it points.
func TestTokenDoesNotFollowRedirects(t *testing.T) {
	var got atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer elsewhere.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	ts := mustTokens(t, teams.TokenConfig{AppID: teamstest.DefaultAppID, Password: identity.NewSecret("S3CRET-value"),
		TenantID: teamstest.DefaultTenantID, AuthorityURL: redirect.URL, HTTPClient: redirect.Client()})
	_, err := ts.Token(context.Background())
	if err == nil || got.Load() != 0 || strings.Contains(err.Error(), "S3CRET") {
		t.Fatalf("redirect followed (%d requests elsewhere) or error %v", got.Load(), err)
	}
}
