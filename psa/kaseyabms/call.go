package kaseyabms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/psa"
)

// envelope is every BMS v2 answer: Success, Error (ErrorInfo) and Result.
// Errors can come inside HTTP 200 with Success false, so the envelope,
// not the status code, has the last word.
type envelope struct {
	Success      *bool           `json:"Success"`
	Error        *errorInfo      `json:"Error"`
	Result       json.RawMessage `json:"Result"`
	TotalRecords int             `json:"TotalRecords"`
}

// maxRetryAfter is the longest advised wait honoured: a Retry-After of
// hours (a bug, or a hostile answer) must not hold a worker that long.
const maxRetryAfter = 2 * time.Minute

// errorInfo is ErrorInfo; Code is an integer (PSA-CONTRACTS.md).
type errorInfo struct {
	Code      int      `json:"Code"`
	Message   string   `json:"Message"`
	Details   string   `json:"Details"`
	SubErrors []string `json:"SubErrors"`
}

// Error is a failed BMS call. Error() is the one sentence a technician
// reads; the log has the rest.
type Error struct {
	Op      string // what we tried, in words: "create the ticket"
	Status  int    // HTTP status
	Code    int    // ErrorInfo.Code when the envelope had one
	Message string // the server's message, scrubbed of secrets
	// maybeDone marks a failure after the request may have reached the
	// server (dropped answer, timeout, 5xx): a create or note may exist.
	maybeDone bool
	retryable bool
	notFound  bool
	authFail  bool
	wait      time.Duration // Retry-After, when the server said
	token     string        // the bearer the attempt used, for invalidate
	cause     error
}

func (e *Error) Error() string {
	switch {
	case e.Message != "" && e.Code != 0:
		return fmt.Sprintf("Kaseya BMS could not %s: %s (code %d)", e.Op, e.Message, e.Code)
	case e.Message != "":
		return fmt.Sprintf("Kaseya BMS could not %s: %s", e.Op, e.Message)
	case e.Status != 0:
		return fmt.Sprintf("Kaseya BMS could not %s: HTTP %d", e.Op, e.Status)
	}
	return fmt.Sprintf("Kaseya BMS could not %s: the server did not answer", e.Op)
}

// SafeMessage is the sentence bot/ shows the technician (bot.SafeMessage):
// Error() is written for them, with the server's message scrubbed.
func (e *Error) SafeMessage() string { return e.Error() }

func (e *Error) Unwrap() error {
	if e.notFound {
		return psa.ErrNotFound
	}
	return e.cause
}

// request is one logical call; call retries it.
type request struct {
	op     string // for errors and logs: "list tickets"
	method string
	path   string // under BaseURL, e.g. /v2/servicedesk/tickets
	query  url.Values
	json   any        // JSON body
	form   url.Values // multipart body (security calls)
	noAuth bool
	// unsafe calls (create, note, resolve) are not repeated after a
	// maybe-done failure unless recheck says the first try left nothing.
	unsafe  bool
	recheck func(ctx context.Context) (done bool, err error)
	scrub   string // a secret in the body that must not reach errors or logs
	out     any    // decoded from Result
	total   *int   // TotalRecords, for paged searches
}

// errDone tells the caller of an unsafe call that recheck found the work
// already done by an attempt whose answer was lost.
var errDone = errors.New("kaseyabms: already done")

func (c *Client) call(ctx context.Context, r request) error {
	var last *Error
	for attempt := 0; ; attempt++ {
		e := c.once(ctx, r)
		if e == nil {
			return nil
		}
		last = e
		c.cfg.Log.Warn().Str("psa", "kaseya_bms").Str("op", r.op).Int("attempt", attempt+1).
			Int("status", e.Status).Int("code", e.Code).Str("message", e.Message).
			AnErr("cause", scrubErr(e.cause, r.scrub)).Msg("kaseya bms call failed")
		if ctx.Err() != nil {
			return e
		}
		if e.authFail {
			if r.noAuth {
				return last // a refused login or refresh: trying again will not help
			}
			c.tok.invalidate(e.token)
		}
		if !e.retryable || attempt >= c.cfg.MaxRetries {
			return last
		}
		if e.maybeDone && r.unsafe {
			if r.recheck == nil {
				return last
			}
			done, err := r.recheck(ctx)
			if err != nil {
				return last
			}
			if done {
				return errDone
			}
		}
		if err := c.cfg.Sleep(ctx, c.backoff(attempt, e.wait)); err != nil {
			return last
		}
	}
}

// backoff is exponential with jitter, or the server's Retry-After.
func (c *Client) backoff(attempt int, advised time.Duration) time.Duration {
	if advised > 0 {
		return advised
	}
	d := 500 * time.Millisecond << attempt
	if d > 30*time.Second {
		d = 30 * time.Second
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func (c *Client) once(ctx context.Context, r request) *Error {
	fail := func(e *Error) *Error {
		e.Op = r.op
		e.Message = scrub(e.Message, r.scrub)
		return e
	}
	req, err := c.newRequest(ctx, r)
	if err != nil {
		return fail(&Error{cause: err})
	}
	if !r.noAuth {
		tok, err := c.tok.get(ctx)
		if err != nil {
			// The token call retried on its own; its error is final here.
			var be *Error
			if errors.As(err, &be) {
				return &Error{Op: be.Op, Status: be.Status, Code: be.Code, Message: be.Message, cause: err}
			}
			return fail(&Error{cause: err})
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	used := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
	fail0 := fail
	fail = func(e *Error) *Error { e.token = used; return fail0(e) }
	resp, err := c.hc.Do(req)
	if err != nil {
		// The request may have been processed: a create must be looked up
		// before it is repeated.
		return fail(&Error{cause: err, retryable: true, maybeDone: true})
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fail(&Error{Status: resp.StatusCode, cause: err, retryable: true, maybeDone: true})
	}
	var env envelope
	jerr := json.Unmarshal(body, &env)
	e := &Error{Status: resp.StatusCode}
	if env.Error != nil {
		e.Code, e.Message = env.Error.Code, env.Error.Message
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		// A wait longer than maxRetryAfter (the hourly window, say) is not
		// waited out inside a call: the call fails now, and the flow tries
		// the ticket again later (bot's pending ticket update).
		e.wait = psa.RetryAfter(resp.Header.Get("Retry-After"), c.cfg.Now())
		e.retryable = e.wait <= maxRetryAfter
		if e.Message == "" {
			e.Message = "too many requests"
		}
		return fail(e)
	case resp.StatusCode == http.StatusUnauthorized:
		e.authFail, e.retryable = true, true
		if e.Message == "" {
			e.Message = "the access token was refused"
		}
		return fail(e)
	case resp.StatusCode == http.StatusNotFound:
		e.notFound = true
		return fail(e)
	case resp.StatusCode >= 500:
		e.retryable, e.maybeDone = true, true
		return fail(e)
	case resp.StatusCode >= 300:
		return fail(e)
	case jerr != nil:
		e.Message = "the answer was not JSON"
		e.cause = jerr
		return fail(e)
	case env.Success != nil && !*env.Success:
		return fail(classifyInBody(e))
	}
	if r.total != nil {
		*r.total = env.TotalRecords
	}
	if r.out != nil {
		src := env.Result
		if env.Success == nil && len(env.Result) == 0 {
			src = body // a bare DTO (the vendor file has a few)
		}
		if len(src) == 0 || string(src) == "null" {
			e.notFound, e.Message = true, "empty result"
			return fail(e)
		}
		if err := json.Unmarshal(src, r.out); err != nil {
			e.Message, e.cause = "the answer did not match the API", err
			return fail(e)
		}
	}
	return nil
}

// classifyInBody reads an in-200 error: BMS signals rate limiting, expired
// tokens and missing records this way as well as plain refusals.
func classifyInBody(e *Error) *Error {
	msg := strings.ToLower(e.Message)
	switch {
	case e.Code == http.StatusTooManyRequests || strings.Contains(msg, "rate limit") || strings.Contains(msg, "too many"):
		e.retryable = true
	case e.Code == http.StatusUnauthorized:
		e.authFail, e.retryable = true, true
	case e.Code == http.StatusNotFound:
		e.notFound = true
	case e.Code >= 500:
		e.retryable, e.maybeDone = true, true
	}
	return e
}

func (c *Client) newRequest(ctx context.Context, r request) (*http.Request, error) {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + r.path
	u.RawQuery = r.query.Encode()
	var body io.Reader
	ctype := ""
	switch {
	case r.json != nil:
		b, err := json.Marshal(r.json)
		if err != nil {
			return nil, err
		}
		body, ctype = bytes.NewReader(b), "application/json"
	case r.form != nil:
		// The vendor file lists multipart/form-data for the security calls.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, vs := range r.form {
			for _, v := range vs {
				if err := mw.WriteField(k, v); err != nil {
					return nil, err
				}
			}
		}
		if err := mw.Close(); err != nil {
			return nil, err
		}
		body, ctype = &buf, mw.FormDataContentType()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return req, nil
}

func scrub(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[redacted]")
}

func scrubErr(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(scrub(err.Error(), secret))
}
