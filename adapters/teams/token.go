package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

// DefaultAuthorityURL is Entra's token authority.
const DefaultAuthorityURL = "https://login.microsoftonline.com"

// botFrameworkScope is the one scope a bot's token is for: the Bot
// Framework connector accepts nothing else.
const botFrameworkScope = "https://api.botframework.com/.default"

// Token request bounds. Entra answers in well under a second; a token
// answer is a few kilobytes, so anything larger is not Entra.
const (
	tokenTimeout     = 15 * time.Second
	maxTokenAnswer   = 64 << 10
	maxRefreshMargin = 5 * time.Minute
)

// TokenConfig configures the bot's own token (client credentials).
type TokenConfig struct {
	AppID        string          // TEAMS_APP_ID: the Azure Bot's Microsoft App ID
	Password     identity.Secret // TEAMS_APP_PASSWORD: a client secret of that app
	TenantID     string          // TEAMS_TENANT_ID: the tenant the single-tenant app lives in
	AuthorityURL string          // default DefaultAuthorityURL; the fake's in tests
	HTTPClient   *http.Client    // default: a client with a 15 s timeout
	Now          func() time.Time
}

// multiTenant are the authority paths of multi-tenant apps. Azure no
// longer creates multi-tenant bots (since 2025-07-31) and a single-tenant
// app asking one of them for a token gets a token the connector refuses,
// so we refuse the config instead of failing on the first message.
var multiTenant = map[string]bool{
	"common": true, "organizations": true, "consumers": true, "botframework.com": true,
}

// TokenSource hands out the bot's token for the connector, cached until
// shortly before it expires. Concurrent callers share one refresh: under
// a burst of outgoing messages Entra sees one request, not one per
// message (Entra throttles token requests per app).
type TokenSource struct {
	appID    string
	password identity.Secret
	tenant   string
	endpoint string
	http     *http.Client
	now      func() time.Time

	mu       sync.Mutex
	token    string
	renewAt  time.Time // when the cached token stops being handed out
	inflight *tokenRefresh
}

// tokenRefresh is one token request; its waiters read token/err after done closes.
type tokenRefresh struct {
	done  chan struct{}
	token string
	err   error
}

// NewTokenSource checks the config. It makes no request: `unlockbot check`
// calls Token to prove the credentials.
func NewTokenSource(cfg TokenConfig) (*TokenSource, error) {
	if strings.TrimSpace(cfg.AppID) == "" {
		return nil, errors.New("TEAMS_APP_ID is empty: set it to the Microsoft App ID of the Azure Bot")
	}
	if cfg.Password.IsZero() {
		return nil, errors.New("TEAMS_APP_PASSWORD is empty: set it (or TEAMS_APP_PASSWORD_FILE) to a client secret of the bot's app registration")
	}
	tenant := strings.TrimSpace(cfg.TenantID)
	if tenant == "" {
		return nil, errors.New("TEAMS_TENANT_ID is empty: set it to the Entra tenant id (Directory ID) the bot's app registration lives in")
	}
	if multiTenant[strings.ToLower(tenant)] {
		return nil, fmt.Errorf("TEAMS_TENANT_ID is %q, a multi-tenant authority: unlockbot runs as a single-tenant bot (Azure no longer creates multi-tenant bots), so set it to your own tenant id", tenant)
	}
	if url.PathEscape(tenant) != tenant {
		return nil, fmt.Errorf("TEAMS_TENANT_ID %q is not a tenant id: use the Directory ID (a GUID) or the tenant's domain name", tenant)
	}
	authority := cfg.AuthorityURL
	if authority == "" {
		authority = DefaultAuthorityURL
	}
	if err := checkAuthority(authority); err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: tokenTimeout}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	// A redirect would re-send the form, client secret and all, to a host
	// nobody configured: treat it as the answer (an error) instead.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &TokenSource{
		appID:    strings.TrimSpace(cfg.AppID),
		password: cfg.Password,
		tenant:   tenant,
		endpoint: strings.TrimRight(authority, "/") + "/" + tenant + "/oauth2/v2.0/token",
		http:     client,
		now:      now,
	}, nil
}

// checkAuthority refuses an authority the client secret should not be
// posted to: anything but https, except http to a loopback address (the
// fake in tests).
func checkAuthority(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("TEAMS_AUTHORITY_URL %q is not a URL like %s", raw, DefaultAuthorityURL)
	}
	if secureOrLoopback(u) {
		return nil
	}
	return fmt.Errorf("TEAMS_AUTHORITY_URL %q must be https (the app password is sent to it); plain http only to a loopback address, for tests", raw)
}

// secureOrLoopback is the rule for every URL the bot trusts (the token
// authority, the signing keys): https, or plain http to a loopback
// address only, which is where the tests' fake listens.
func secureOrLoopback(u *url.URL) bool {
	switch u.Scheme {
	case "https":
		return u.Host != ""
	case "http":
		ip := net.ParseIP(u.Hostname())
		return (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost"
	}
	return false
}

// Token returns a token valid for a while yet. When none is cached it
// starts one request (or joins the one in flight) and waits for it or for
// ctx. The request itself runs detached from ctx, under its own timeout,
// so one caller giving up does not fail the others waiting on it.
func (s *TokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.token != "" && s.now().Before(s.renewAt) {
		tok := s.token
		s.mu.Unlock()
		return tok, nil
	}
	r := s.inflight
	if r == nil {
		r = &tokenRefresh{done: make(chan struct{})}
		s.inflight = r
		go s.run(context.WithoutCancel(ctx), r)
	}
	s.mu.Unlock()

	select {
	case <-r.done:
		return r.token, r.err
	case <-ctx.Done():
		return "", fmt.Errorf("gave up waiting for the bot's Teams token: %w", ctx.Err())
	}
}

// Invalidate drops tok from the cache, so the next Token call asks Entra
// again. The connector calls it when Teams answers 401 to tok; naming the
// token keeps a late 401 from discarding a newer token another caller
// just fetched.
func (s *TokenSource) Invalidate(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok != "" && s.token == tok {
		s.token = ""
		s.renewAt = time.Time{}
	}
}

func (s *TokenSource) run(ctx context.Context, r *tokenRefresh) {
	ctx, cancel := context.WithTimeout(ctx, tokenTimeout)
	defer cancel()
	start := s.now()
	tok, lifetime, err := s.fetch(ctx)

	s.mu.Lock()
	if err == nil {
		s.token = tok
		s.renewAt = start.Add(lifetime - refreshMargin(lifetime))
	}
	s.inflight = nil
	r.token, r.err = tok, err
	s.mu.Unlock()
	close(r.done)
}

// refreshMargin is how long before expiry a token stops being handed out:
// 10% of its lifetime, at most 5 minutes, so a message sent just before
// expiry does not reach Teams with a dead token.
func refreshMargin(lifetime time.Duration) time.Duration {
	return min(lifetime/10, maxRefreshMargin)
}

type tokenAnswer struct {
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	AccessToken string `json:"access_token"`
}

type tokenErrorAnswer struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
}

// fetch makes one client-credentials request. The secret goes only in the
// form body; no error below quotes the body, the answer's token or the
// request itself.
func (s *TokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {s.appID},
		"client_secret": {s.password.Reveal()},
		"scope":         {botFrameworkScope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("could not build the Teams token request to %s: %v", s.endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("the Entra token endpoint %s did not answer (%v): check the network path to it", s.endpoint, urlErrCause(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer+1))
	if err != nil {
		return "", 0, fmt.Errorf("the Entra token endpoint %s broke off its answer: %v", s.endpoint, err)
	}
	if len(raw) > maxTokenAnswer {
		return "", 0, fmt.Errorf("the Entra token endpoint %s answered with more than %d KiB, which is not a token answer: check TEAMS_AUTHORITY_URL", s.endpoint, maxTokenAnswer>>10)
	}
	if resp.StatusCode != http.StatusOK {
		return "", 0, s.tokenError(resp.StatusCode, raw)
	}
	var a tokenAnswer
	if err := json.Unmarshal(raw, &a); err != nil || a.AccessToken == "" {
		return "", 0, fmt.Errorf("the Entra token endpoint %s answered HTTP 200 without a token: check TEAMS_AUTHORITY_URL", s.endpoint)
	}
	if !strings.EqualFold(a.TokenType, "Bearer") || a.ExpiresIn <= 0 {
		return "", 0, fmt.Errorf("the Entra token endpoint %s answered a %q token with expires_in %d, not a Bearer token with a lifetime: check TEAMS_AUTHORITY_URL", s.endpoint, a.TokenType, a.ExpiresIn)
	}
	return a.AccessToken, time.Duration(a.ExpiresIn) * time.Second, nil
}

// TokenError is Entra refusing the token request. Its Error is a sentence
// naming the AADSTS code and the setting to fix.
type TokenError struct {
	Status      int    // HTTP status of the answer
	Code        string // "AADSTS7000215", or "" when the answer had none
	Description string // the first sentence of Entra's description
	tenant      string
}

func (e *TokenError) Error() string {
	switch e.Code {
	case "AADSTS7000215", "AADSTS7000222":
		return "Entra refused the bot's token request (" + e.Code + "): the app password (TEAMS_APP_PASSWORD) is wrong or expired: create a new client secret for the bot's app registration (Certificates & secrets) and set its value, not its id"
	case "AADSTS700016":
		return "Entra refused the bot's token request (" + e.Code + "): tenant " + e.tenant + " has no app with this TEAMS_APP_ID: set it to the Azure Bot's Microsoft App ID and check TEAMS_TENANT_ID is the tenant the app is registered in"
	case "AADSTS90002", "AADSTS900023":
		return "Entra refused the bot's token request (" + e.Code + "): tenant " + e.tenant + " does not exist: set TEAMS_TENANT_ID to the Directory ID of the tenant the bot's app registration lives in"
	case "":
		return fmt.Sprintf("the Entra token endpoint answered HTTP %d without an AADSTS error: check TEAMS_AUTHORITY_URL", e.Status)
	}
	s := "Entra refused the bot's token request (" + e.Code + ")"
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// tokenError reads Entra's error answer. The description is cut to its
// first sentence (the rest is trace and correlation ids) and never quoted
// if it somehow contains the secret.
func (s *TokenSource) tokenError(status int, raw []byte) error {
	e := &TokenError{Status: status, tenant: s.tenant}
	var a tokenErrorAnswer
	if json.Unmarshal(raw, &a) != nil {
		return e
	}
	code, rest, ok := strings.Cut(a.Description, ":")
	if ok && strings.HasPrefix(code, "AADSTS") {
		e.Code = code
		e.Description = firstAADSentence(strings.TrimSpace(rest))
	} else if len(a.Codes) > 0 {
		e.Code = fmt.Sprintf("AADSTS%d", a.Codes[0])
		e.Description = firstAADSentence(a.Description)
	} else if a.Error != "" {
		e.Code = a.Error
		e.Description = firstAADSentence(a.Description)
	}
	if p := s.password.Reveal(); p != "" && strings.Contains(e.Description, p) {
		e.Description = ""
	}
	return e
}

// firstAADSentence returns s up to its first ". " (Entra's descriptions go
// on with "Trace ID: …"), at most 200 characters.
func firstAADSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", " "))
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// urlErrCause is the cause inside a *url.Error: its own text repeats
// the method and URL the caller's sentence already names.
func urlErrCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
