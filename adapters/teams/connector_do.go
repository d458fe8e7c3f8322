package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// connAttempt is the outcome of one HTTP exchange.
type connAttempt struct {
	status int
	raw    []byte
	wait   time.Duration // Retry-After on a 429
	err    error         // the request did not get an answer
}

// do sends one connector request with the retries the connector calls
// for: a 401 refreshes the token once; 429 waits Retry-After (at most
// maxRetryAfter, never past ctx); 5xx and connection errors back off
// exponentially; every retry counts against maxRetries. A POST retried
// after a connection error may post twice if the first one got through:
// Teams gives no idempotency key, and a duplicate progress line is better
// than a lost approval card.
func (c *Connector) do(ctx context.Context, op, method, serviceURL, path string, body, out any) error {
	base, err := c.checkServiceURL(op, serviceURL)
	if err != nil {
		return err // before any token is fetched: nothing reaches that URL
	}
	var raw []byte
	if b, ok := body.(json.RawMessage); ok {
		raw = b // encoded already (outActivity.wire)
	} else if body != nil {
		if raw, err = json.Marshal(body); err != nil {
			return &APIError{Op: op, Code: CodeEncode, Err: err}
		}
	}
	endpoint := base + path
	refreshed := false
	for retry := 0; ; {
		tok, err := c.tokens.Token(ctx)
		if err != nil {
			return err
		}
		a := c.once(ctx, method, endpoint, tok, raw)
		var wait time.Duration
		switch {
		case a.err != nil:
			if ctx.Err() != nil {
				return &APIError{Op: op, Code: CodeUnreachable, host: serviceHost(base), Err: ctx.Err()}
			}
			wait = retryBackoff(retry)
			err = &APIError{Op: op, Code: CodeUnreachable, host: serviceHost(base), Err: a.err}
		case a.status >= 200 && a.status < 300:
			if out == nil || len(bytes.TrimSpace(a.raw)) == 0 {
				return nil
			}
			if jerr := json.Unmarshal(a.raw, out); jerr != nil {
				return &APIError{Op: op, Status: a.status, Code: CodeBadAnswer, Err: jerr}
			}
			return nil
		case a.status == http.StatusUnauthorized && !refreshed:
			// An expired or revoked token: fetch a new one, once, for free.
			refreshed = true
			c.tokens.Invalidate(tok)
			c.log.Debug().Str("op", op).Msg("teams connector answered 401; refreshing the bot token once")
			continue
		case a.status == http.StatusTooManyRequests:
			err = apiError(op, a)
			if c.paced || a.wait > maxRetryAfter {
				return err
			}
			wait = a.wait
		case a.status >= 500:
			err = apiError(op, a)
			wait = retryBackoff(retry)
		default:
			return apiError(op, a)
		}
		if retry >= c.maxRetries {
			return err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return err // would not fit: give up now rather than at the deadline
		}
		retry++
		c.log.Debug().Str("op", op).Int("status", a.status).Dur("wait", wait).Int("retry", retry).Msg("teams connector: retrying")
		if serr := c.sleep(ctx, wait); serr != nil {
			return err
		}
	}
}

// once makes one HTTP call. The token goes in the Authorization header
// only; nothing returned quotes the request.
func (c *Connector) once(ctx context.Context, method, endpoint, tok string, body []byte) connAttempt {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, rd)
	if err != nil {
		return connAttempt{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := c.http.Do(req)
	if err != nil {
		return connAttempt{err: urlErrCause(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxConnectorReply))
	if err != nil {
		return connAttempt{err: err}
	}
	a := connAttempt{status: resp.StatusCode, raw: raw}
	if resp.StatusCode == http.StatusTooManyRequests {
		a.wait = parseRetryAfter(resp.Header.Get("Retry-After"))
	}
	return a
}

// checkServiceURL refuses a service URL AllowServiceURL does not trust,
// and one that is not a plain absolute http(s) URL, and returns it with
// a trailing slash for the v3 paths.
func (c *Connector) checkServiceURL(op, serviceURL string) (string, error) {
	u, err := url.Parse(serviceURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || !c.allow(serviceURL) {
		return "", &APIError{Op: op, Code: CodeServiceURLNotAllowed, host: serviceURL}
	}
	if !strings.HasSuffix(serviceURL, "/") {
		serviceURL += "/"
	}
	return serviceURL, nil
}

// parseRetryAfter reads Retry-After: seconds, or an HTTP date. Missing or
// unreadable means one second, as Teams' own guidance suggests backing off.
func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return time.Second
}

// retryBackoff is the wait before retry n+1 after a 5xx or connection error:
// 250 ms doubling, at most 4 s.
func retryBackoff(n int) time.Duration {
	d := backoffBase << n
	if n > 8 || d > backoffMax {
		return backoffMax
	}
	return d
}

func serviceHost(base string) string {
	if u, err := url.Parse(base); err == nil {
		return u.Host
	}
	return ""
}

func missingID(op string) error {
	return &APIError{Op: op, Status: http.StatusOK, Code: CodeBadAnswer, Err: errors.New("the answer has no id")}
}

func sleepConnector(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
