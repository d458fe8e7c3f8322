package entra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/unlockbot/unlockbot/identity"
)

// graphScope asks for every application permission consented to the app.
const graphScope = "https://graph.microsoft.com/.default"

// refreshBefore: a token is renewed this long before it expires, so a call
// never leaves with a token that dies in flight.
const refreshBefore = 5 * time.Minute

// tokenSource holds one app-only access token. Concurrent callers that find
// it stale share one request to the token endpoint (singleflight), so a
// burst of lookups after expiry costs one call, not fifty.
type tokenSource struct {
	cfg    Config
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
	group   singleflight.Group
}

// get returns a valid token. The shared fetch runs detached from the first
// caller's cancellation, bounded by the timeout; each caller waits on its own ctx.
func (t *tokenSource) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	tok, exp := t.token, t.expires
	t.mu.Unlock()
	if tok != "" && t.now().Before(exp.Add(-refreshBefore)) {
		return tok, nil
	}
	ch := t.group.DoChan("token", func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.cfg.Timeout)
		defer cancel()
		return t.fetch(fctx)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// invalidate drops the cached token after Graph refused it (401), so the
// next call fetches a fresh one.
func (t *tokenSource) invalidate(tok string) {
	t.mu.Lock()
	if t.token == tok {
		t.token, t.expires = "", time.Time{}
	}
	t.mu.Unlock()
}

// aadError is the token endpoint's error body.
type aadError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
	TraceID     string `json:"trace_id"`
	Correlation string `json:"correlation_id"`
}

func (t *tokenSource) fetch(ctx context.Context) (string, error) {
	const op = "entra.token"
	form := url.Values{
		"client_id":     {t.cfg.ClientID},
		"client_secret": {t.cfg.ClientSecret.Reveal()},
		"grant_type":    {"client_credentials"},
		"scope":         {graphScope},
	}
	endpoint := t.cfg.AuthorityURL + "/" + url.PathEscape(t.cfg.TenantID) + "/oauth2/v2.0/token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", identity.E(op, identity.KindInternal, "The token request could not be built; check authority_url.", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		// url.Error carries the URL, never the body, so the secret stays out.
		return "", transportError(op, "Microsoft's sign-in service", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", transportError(op, "Microsoft's sign-in service", err)
	}
	if resp.StatusCode != http.StatusOK {
		var ae aadError
		_ = json.Unmarshal(body, &ae)
		return "", t.tokenError(op, resp.StatusCode, ae)
	}
	var ok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &ok); err != nil || ok.AccessToken == "" || !strings.EqualFold(ok.TokenType, "Bearer") {
		return "", identity.E(op, identity.KindUnavailable, "Microsoft's sign-in service answered without a usable token; try again in a minute.",
			fmt.Errorf("%w: token response not understood", identity.ErrUnavailable))
	}
	t.mu.Lock()
	t.token, t.expires = ok.AccessToken, t.now().Add(time.Duration(ok.ExpiresIn)*time.Second)
	t.mu.Unlock()
	return ok.AccessToken, nil
}

// tokenError turns an AADSTS answer into one sentence saying what to fix.
// The description is logged (it names no secret: Entra never echoes it),
// the technician reads our own words.
func (t *tokenSource) tokenError(op string, status int, ae aadError) error {
	code := 0
	if len(ae.Codes) > 0 {
		code = ae.Codes[0]
	}
	chain := fmt.Errorf("token endpoint: HTTP %d, %s, AADSTS%d, trace %s, correlation %s: %w",
		status, ae.Error, code, ae.TraceID, ae.Correlation, identity.ErrRights)
	var safe string
	kind := identity.KindForbidden
	switch code {
	case 7000215:
		safe = "Entra ID refused the bot's client secret (AADSTS7000215): create a new secret under App registrations → Certificates & secrets and put its Value (not its ID) in client_secret."
	case 7000222:
		safe = "The bot's client secret has expired (AADSTS7000222): create a new one under App registrations → Certificates & secrets and update client_secret."
	case 700016:
		safe = "Entra ID does not know the application " + t.cfg.ClientID + " in this tenant (AADSTS700016): check client_id and tenant_id, or that the app was not deleted."
	case 90002:
		safe = "Entra ID does not know the tenant " + t.cfg.TenantID + " (AADSTS90002): check tenant_id (the Directory (tenant) ID on the Overview page)."
	case 900023:
		safe = "The tenant_id " + t.cfg.TenantID + " is not a valid tenant (AADSTS900023): use the Directory (tenant) ID, a GUID."
	case 7000112, 700027:
		safe = fmt.Sprintf("Entra ID refused the app (AADSTS%d): the application is disabled or its credentials are not accepted; check it under Enterprise applications.", code)
	case 53003, 53000:
		safe = fmt.Sprintf("A Conditional Access policy blocks the bot's app from signing in (AADSTS%d): exclude it or allow its location in Entra admin center → Conditional Access.", code)
	default:
		if status >= 500 || status == http.StatusTooManyRequests {
			kind, chain = identity.KindUnavailable, fmt.Errorf("%w (%v)", identity.ErrUnavailable, chain)
			safe = "Microsoft's sign-in service is not answering right now; try again in a minute."
		} else {
			safe = fmt.Sprintf("Entra ID refused the bot's sign-in (%s, AADSTS%d); check tenant_id, client_id and client_secret.", ae.Error, code)
		}
	}
	return identity.E(op, kind, safe, chain)
}

// transportError: the network, a timeout, a cancelled context.
func transportError(op, who string, err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return identity.E(op, identity.KindUnavailable, who+" did not answer in time; try again in a minute.", fmt.Errorf("%w: %w", identity.ErrUnavailable, err))
	case errors.Is(err, context.Canceled):
		return identity.E(op, identity.KindUnavailable, "The request was cancelled before "+who+" answered.", fmt.Errorf("%w: %w", identity.ErrUnavailable, err))
	}
	return identity.E(op, identity.KindUnavailable, who+" cannot be reached right now; try again in a minute.", fmt.Errorf("%w: %w", identity.ErrUnavailable, err))
}
