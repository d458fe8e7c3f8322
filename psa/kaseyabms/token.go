package kaseyabms

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"time"
)

// tokenSource holds the BMS bearer token. BMS access tokens are short-lived
// (AccessTokenExpireOn) and come with a refresh token
// (RefreshTokenExpireOn); the client refreshes a little before expiry, falls
// back to a fresh authenticate when the refresh token has expired or is
// refused, and after a 401. Only one fetch runs at a time: the other
// goroutines wait for its result instead of each logging in (which would
// also spend the 1,500 calls/hour of the security endpoints).
type tokenSource struct {
	c *Client

	mu         sync.Mutex
	access     string
	refresh    string
	accessExp  time.Time
	refreshExp time.Time
	inflight   chan struct{} // closed when the running fetch ends
	lastErr    error
}

// skew is how long before AccessTokenExpireOn the token counts as expired,
// so a call never leaves with a token that dies on the way.
const skew = time.Minute

type tokenDTO struct {
	AccessToken          string  `json:"AccessToken"`
	RefreshToken         string  `json:"RefreshToken"`
	AccessTokenExpireOn  bmsTime `json:"AccessTokenExpireOn"`
	RefreshTokenExpireOn bmsTime `json:"RefreshTokenExpireOn"`
}

func (ts *tokenSource) get(ctx context.Context) (string, error) {
	for {
		ts.mu.Lock()
		now := ts.c.cfg.Now()
		if ts.access != "" && now.Before(ts.accessExp.Add(-skew)) {
			tok := ts.access
			ts.mu.Unlock()
			return tok, nil
		}
		if ch := ts.inflight; ch != nil {
			ts.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return "", ctx.Err()
			}
			ts.mu.Lock()
			err := ts.lastErr
			ts.mu.Unlock()
			if err != nil {
				return "", err
			}
			continue
		}
		ch := make(chan struct{})
		ts.inflight = ch
		refresh, access := "", ts.access
		if ts.refresh != "" && now.Before(ts.refreshExp.Add(-skew)) {
			refresh = ts.refresh
		}
		ts.mu.Unlock()

		t, err := ts.fetch(ctx, access, refresh)

		ts.mu.Lock()
		ts.lastErr = err
		if err == nil {
			ts.access, ts.refresh = t.AccessToken, t.RefreshToken
			ts.accessExp, ts.refreshExp = t.AccessTokenExpireOn.Time, t.RefreshTokenExpireOn.Time
		}
		ts.inflight = nil
		close(ch)
		ts.mu.Unlock()
		if err != nil {
			return "", err
		}
	}
}

// fetch refreshes when it can and authenticates otherwise. A fetch runs
// without the caller's cancellation, so one impatient caller cannot fail
// the fetch the others are waiting for.
func (ts *tokenSource) fetch(ctx context.Context, access, refresh string) (tokenDTO, error) {
	ctx = context.WithoutCancel(ctx)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if refresh != "" {
		var t tokenDTO
		err := ts.c.call(ctx, request{op: "refresh its access token", method: "POST", path: "/v2/security/refreshtoken",
			form: url.Values{"AccessToken": {access}, "RefreshToken": {refresh}}, noAuth: true, out: &t})
		if err == nil && t.AccessToken != "" {
			return t, nil
		}
		ts.c.cfg.Log.Info().Str("psa", "kaseya_bms").Msg("token refresh refused; authenticating again")
	}
	cfg := ts.c.cfg
	var t tokenDTO
	err := ts.c.call(ctx, request{op: "log in as " + cfg.UserName + " to tenant " + cfg.Tenant, method: "POST",
		path: "/v2/security/authenticate", noAuth: true, scrub: cfg.Password.Reveal(), out: &t,
		form: url.Values{"GrantType": {"password"}, "UserName": {cfg.UserName}, "Password": {cfg.Password.Reveal()}, "Tenant": {cfg.Tenant}}})
	if err != nil {
		return tokenDTO{}, err
	}
	if t.AccessToken == "" {
		return tokenDTO{}, errors.New("kaseyabms: authenticate answered without an access token")
	}
	return t, nil
}

// invalidate drops both tokens after a 401 with tok, so the next call logs
// in anew; a token fetched meanwhile by another goroutine is kept.
func (ts *tokenSource) invalidate(tok string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.inflight == nil && tok != "" && ts.access == tok {
		ts.access, ts.refresh = "", ""
		ts.accessExp, ts.refreshExp = time.Time{}, time.Time{}
	}
}
