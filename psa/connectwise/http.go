package connectwise

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/psa"
)

// APIError is a refusal from ConnectWise, in its own error shape
// {"code","message","errors":[{"code","message","resource","field"}]}.
type APIError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
	Errors  []struct {
		Code     string `json:"code"`
		Message  string `json:"message"`
		Resource string `json:"resource"`
		Field    string `json:"field"`
	} `json:"errors"`
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("ConnectWise answered %d %s: %s", e.Status, e.Code, e.Message)
	for _, s := range e.Errors {
		msg += fmt.Sprintf("; %s: %s", s.Field, s.Message)
	}
	return msg
}

func statusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// call is one API operation: idempotent ones (GET, the status PATCH) are
// retried on transport errors and 5xx; a POST is retried only on 429 (the
// server did nothing) and otherwise reports errAmbiguous so the caller
// looks for its marker before posting again.
type call struct {
	method     string
	path       string
	query      url.Values
	body       any
	out        any
	idempotent bool
	next       *string // set to the Link rel="next" URL, if any
	// secret, when set, is scrubbed from anything ConnectWise says back
	// (a validation message may quote the note it refused).
	secret string
}

func (c *Client) do(ctx context.Context, k call) error {
	var payload []byte
	if k.body != nil {
		b, err := json.Marshal(k.body)
		if err != nil {
			return err
		}
		payload = b
	}
	u := c.base + k.path
	if len(k.query) > 0 {
		u += "?" + k.query.Encode()
	}
	for attempt := 0; ; attempt++ {
		wait, err := c.once(ctx, k, u, payload)
		if err == nil {
			return nil
		}
		retry := false
		st := statusOf(err)
		switch {
		case st == http.StatusTooManyRequests:
			retry = true
		case st >= 500 || st == 0 && ctx.Err() == nil:
			// A transport failure while the caller still waits: the
			// client's own timeout (which also reads as a deadline), a
			// dropped connection. The caller's ended context is not retried.
			if !k.idempotent {
				return fmt.Errorf("%w: %w", errAmbiguous, err)
			}
			retry = true
		}
		if !retry || attempt >= c.cfg.MaxRetries {
			return err
		}
		if wait <= 0 {
			wait = backoff(attempt)
		}
		c.cfg.Log.Debug().Str("op", k.method+" "+k.path).Int("attempt", attempt+1).Dur("wait", wait).Int("status", st).Msg("connectwise: retrying")
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// backoff is exponential from 500ms with full jitter on the upper half,
// capped at 30s.
func backoff(attempt int) time.Duration {
	d := 500 * time.Millisecond << min(attempt, 6)
	d = min(d, 30*time.Second)
	return d/2 + rand.N(d/2+1)
}

// once sends one request; on 429 it returns the Retry-After wait.
func (c *Client) once(ctx context.Context, k call, u string, payload []byte) (time.Duration, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, u, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", c.auth.Reveal())
	req.Header.Set("clientId", c.cfg.ClientID)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		// url.Error names the URL (no credentials in it) and the cause.
		return 0, fmt.Errorf("ConnectWise did not answer %s %s: %w", k.method, k.path, unwrapURL(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, fmt.Errorf("ConnectWise answer to %s %s was cut: %w", k.method, k.path, err)
	}
	if resp.StatusCode >= 300 {
		ae := &APIError{Status: resp.StatusCode}
		_ = json.Unmarshal(raw, ae)
		// Scrubbed after decoding: a server quoting the note back escapes
		// it (\", \u003c), so the raw bytes need not hold the secret as sent.
		ae.scrub(k.secret)
		if ae.Code == "" {
			ae.Code = http.StatusText(resp.StatusCode)
		}
		c.cfg.Log.Warn().Str("op", k.method+" "+k.path).Int("status", resp.StatusCode).Str("code", ae.Code).
			Str("vendor_message", truncate(ae.Error(), 500)).Msg("connectwise: refused")
		return min(psa.RetryAfter(resp.Header.Get("Retry-After"), c.cfg.Now()), 5*time.Minute), ae
	}
	if k.next != nil {
		*k.next = nextLink(resp.Header.Get("Link"))
	}
	if k.out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, k.out); err != nil {
			return 0, fmt.Errorf("ConnectWise answer to %s %s is not the JSON expected: %w", k.method, k.path, err)
		}
	}
	return 0, nil
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// nextLink finds rel="next" in a Link header.
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		seg := strings.Split(part, ";")
		if len(seg) < 2 {
			continue
		}
		for _, p := range seg[1:] {
			if strings.TrimSpace(p) == `rel="next"` {
				return strings.Trim(strings.TrimSpace(seg[0]), "<>")
			}
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// quote makes a string literal for a conditions clause.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// scrub removes secret from every text of the decoded error.
func (e *APIError) scrub(secret string) {
	if secret == "" {
		return
	}
	r := strings.NewReplacer(secret, "[redacted]")
	e.Code, e.Message = r.Replace(e.Code), r.Replace(e.Message)
	for i := range e.Errors {
		f := &e.Errors[i]
		f.Code, f.Message, f.Resource, f.Field = r.Replace(f.Code), r.Replace(f.Message), r.Replace(f.Resource), r.Replace(f.Field)
	}
}
