package freshdesk

import (
	"bytes"
	"context"
	"encoding/base64"
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

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// APIError is a refusal from Freshdesk, in either of its shapes: 400
// {"description":"Validation failed","errors":[…]} or {"code","message"}
// (https://developers.freshdesk.com/api/#error). Its text is for the log;
// Sentence is for the technician.
type APIError struct {
	Op         string
	Status     int
	Code       string
	Message    string
	Errors     []FieldError
	RetryAfter time.Duration
}

// FieldError is one entry of a 400's errors array.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Code    string `json:"code"`
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: Freshdesk answered %d", e.Op, e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	for _, f := range e.Errors {
		fmt.Fprintf(&b, "; %s %s (%s)", f.Field, f.Code, f.Message)
	}
	return b.String()
}

// SafeMessage is the sentence bot/ shows the technician: what Freshdesk
// did and what to check, with field names but never a value we sent.
func (e *APIError) SafeMessage() string {
	switch {
	case e.Status == http.StatusUnauthorized:
		return "Freshdesk refused the API key: check psa.freshdesk.api_key_env or api_key_file."
	case e.Status == http.StatusForbidden:
		return "Freshdesk did not allow this with the API key: the agent needs ticket and contact access (docs/psa-freshdesk.md)."
	case e.Status == http.StatusNotFound:
		return "Freshdesk has no such ticket or record."
	case e.Status == http.StatusTooManyRequests:
		return "Freshdesk is rate-limiting unlockbot; it will be tried again."
	case e.Status >= 500:
		return "Freshdesk had an internal error; it will be tried again."
	case len(e.Errors) > 0:
		fields := make([]string, 0, len(e.Errors))
		for _, f := range e.Errors {
			fields = append(fields, f.Field)
		}
		return "Freshdesk refused the request (fields: " + strings.Join(fields, ", ") + "): check the org's psa.freshdesk settings."
	}
	return fmt.Sprintf("Freshdesk refused the request (HTTP %d).", e.Status)
}

// maxRetryAfter is the longest advised wait honoured: a Retry-After of
// hours (a bug, or a hostile answer) must not hold a worker that long.
const maxRetryAfter = 2 * time.Minute

func decodeError(op string, resp *http.Response, body []byte) *APIError {
	e := &APIError{Op: op, Status: resp.StatusCode}
	var wire struct {
		Code        string       `json:"code"`
		Message     string       `json:"message"`
		Description string       `json:"description"`
		Errors      []FieldError `json:"errors"`
	}
	if json.Unmarshal(body, &wire) == nil {
		e.Code, e.Message, e.Errors = wire.Code, wire.Message, wire.Errors
		if e.Message == "" {
			e.Message = wire.Description
		}
	}
	e.RetryAfter = min(psa.RetryAfter(resp.Header.Get("Retry-After"), time.Now()), maxRetryAfter)
	return e
}

// call is one API request: method, a path under /api/v2 (or an absolute
// next-page URL on the same host), a query, a JSON body. It decodes a 2xx
// answer into out and returns the Link rel=next URL.
//
// Retries: 429 after Retry-After; 5xx and transport errors with backoff and
// jitter — except for a request with unsafe=true (a create), which is
// returned after the first ambiguous failure so the caller can look for
// what it made before trying again.
type request struct {
	op, method, path string
	query            url.Values
	body             any
	unsafe           bool
}

func (c *Client) call(ctx context.Context, rq request, out any) (next string, err error) {
	target, err := c.resolve(rq.path)
	if err != nil {
		return "", err
	}
	if rq.query != nil {
		target.RawQuery = rq.query.Encode()
	}
	var payload []byte
	if rq.body != nil {
		if payload, err = json.Marshal(rq.body); err != nil {
			return "", fmt.Errorf("%s: %w", rq.op, err)
		}
	}
	for attempt := 0; ; attempt++ {
		next, wait, err := c.once(ctx, rq, target, payload, out)
		if err == nil {
			return next, nil
		}
		if wait < 0 || attempt >= c.cfg.MaxRetries {
			return "", err
		}
		c.cfg.Log.Warn().Str("op", rq.op).Int("attempt", attempt+1).Dur("wait", wait).Err(err).Msg("freshdesk: retrying")
		if serr := c.cfg.Sleep(ctx, wait); serr != nil {
			return "", err
		}
	}
}

// once sends one request. wait < 0 means do not retry.
func (c *Client) once(ctx context.Context, rq request, target *url.URL, payload []byte, out any) (string, time.Duration, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, target.String(), body)
	if err != nil {
		return "", -1, fmt.Errorf("%s: %w", rq.op, err)
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := c.cfg.Now()
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", -1, fmt.Errorf("%s: %w", rq.op, ctx.Err())
		}
		c.cfg.Log.Warn().Str("op", rq.op).Str("method", rq.method).Str("path", target.Path).Err(redactURL(err)).Msg("freshdesk: no answer")
		if rq.unsafe {
			return "", -1, fmt.Errorf("%s: %w: %v", rq.op, errNoAnswer, redactURL(err))
		}
		return "", c.backoff(0), fmt.Errorf("%s: %w: %v", rq.op, errNoAnswer, redactURL(err))
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	c.cfg.Log.Debug().Str("op", rq.op).Str("method", rq.method).Str("path", target.Path).Int("status", resp.StatusCode).
		Str("ratelimit_remaining", resp.Header.Get("X-Ratelimit-Remaining")).Dur("took", c.cfg.Now().Sub(start)).Msg("freshdesk")
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out != nil && len(data) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return "", -1, fmt.Errorf("%s: Freshdesk's answer is not what the API documents: %w", rq.op, err)
			}
		}
		return nextLink(resp.Header.Get("Link")), 0, nil
	}
	apiErr := decodeError(rq.op, resp, data)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		// Nothing was done: safe to repeat even a create.
		wait := apiErr.RetryAfter
		if wait <= 0 {
			wait = c.backoff(1)
		}
		return "", wait, apiErr
	case resp.StatusCode >= 500:
		if rq.unsafe {
			return "", -1, apiErr
		}
		return "", c.backoff(0), apiErr
	}
	return "", -1, apiErr
}

// backoff is 0.5–1.5 s, grown by n, with jitter so replicas spread out.
func (c *Client) backoff(n int) time.Duration {
	base := time.Second << n
	return base/2 + time.Duration(rand.Int64N(int64(base)))
}

// resolve keeps every request on the configured host, so a Link header
// cannot send the API key elsewhere.
func (c *Client) resolve(p string) (*url.URL, error) {
	if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
		u, err := url.Parse(p)
		if err != nil || u.Scheme != c.base.Scheme || u.Host != c.base.Host || !strings.HasPrefix(u.Path, c.base.Path+"/") {
			return nil, errors.New("freshdesk: a next-page link points away from the Freshdesk account; not followed")
		}
		return u, nil
	}
	u := *c.base
	u.Path = c.base.Path + p
	return &u, nil
}

// nextLink reads <url>; rel="next" from a Link header.
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		seg := strings.Split(part, ";")
		if len(seg) < 2 {
			continue
		}
		for _, attr := range seg[1:] {
			if strings.ReplaceAll(strings.TrimSpace(attr), " ", "") == `rel="next"` {
				return strings.Trim(strings.TrimSpace(seg[0]), "<>")
			}
		}
	}
	return ""
}

// redactURL drops the URL from a transport error (it never holds the key,
// but keeps log lines short and uniform).
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
