package entra

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Retry bounds for throttling (429) and a busy service (503, 504).
const (
	maxTries     = 3
	maxRetryWait = 10 * time.Second // Retry-After above this is not waited for: the caller is a person
	baseBackoff  = time.Second      // when Graph gives no Retry-After
	maxBody      = 4 << 20
	maxPages     = 10 // nextLink pages followed for one list
)

// call is one Graph request. path is already escaped (see seg).
type call struct {
	method string
	path   string
	query  url.Values
	body   any
	// eventual sends ConsistencyLevel: eventual, which Graph requires for
	// advanced queries ($count, $search, a filtered cast on memberOf).
	eventual bool
	// idempotent calls are retried on 503/504 too; a write is retried only
	// on 429, which Graph answers before doing anything.
	idempotent bool
}

// graphError is Graph's error body plus what support needs to find the
// request: {"error":{"code","message","innerError":{"request-id","date"}}}.
type graphError struct {
	Status     int
	Code       string
	Message    string // logged, never shown: it can quote what was sent
	RequestID  string
	Date       string
	RetryAfter time.Duration
}

func (e *graphError) Error() string {
	return fmt.Sprintf("graph: HTTP %d %s: %s (request-id %s, date %s)", e.Status, e.Code, e.Message, e.RequestID, e.Date)
}

// do sends c with a token, retrying throttling within bounds, and decodes a
// 2xx body into out (nil: ignore it). Errors are *graphError or transport
// errors; callers classify them.
func (d *Directory) do(ctx context.Context, c call, out any) error {
	var payload []byte
	if c.body != nil {
		var err error
		if payload, err = json.Marshal(c.body); err != nil {
			return err
		}
	}
	target := d.cfg.GraphURL + c.path
	if len(c.query) > 0 {
		target += "?" + c.query.Encode()
	}
	return d.send(ctx, c, target, payload, out)
}

func (d *Directory) send(ctx context.Context, c call, target string, payload []byte, out any) error {
	refreshed := false
	for try := 1; ; try++ {
		tok, err := d.tokens.get(ctx)
		if err != nil {
			return err
		}
		ge, err := d.once(ctx, c, target, tok, payload, out)
		if err != nil || ge == nil {
			return err
		}
		if ge.Status == http.StatusUnauthorized && ge.Code == "InvalidAuthenticationToken" && !refreshed {
			// Expired or revoked early: one fresh token, then give up.
			d.tokens.invalidate(tok)
			refreshed = true
			try--
			continue
		}
		if !retryable(c, ge.Status) || try >= maxTries {
			return ge
		}
		wait := ge.RetryAfter
		if wait == 0 {
			wait = baseBackoff << (try - 1)
		}
		if wait > maxRetryWait {
			return ge
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return ge
		}
		if err := d.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func retryable(c call, status int) bool {
	switch status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return c.idempotent
	}
	return false
}

// once sends one request. It returns a *graphError for a non-2xx answer and
// err for anything else that went wrong.
func (d *Directory) once(ctx context.Context, c call, target, tok string, payload []byte, out any) (*graphError, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, target, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.eventual {
		req.Header.Set("ConsistencyLevel", "eventual")
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		if out == nil || len(raw) == 0 {
			return nil, nil
		}
		return nil, json.Unmarshal(raw, out)
	}
	var env struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				RequestID string `json:"request-id"`
				Date      string `json:"date"`
			} `json:"innerError"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &env)
	ge := &graphError{Status: resp.StatusCode, Code: env.Error.Code, Message: env.Error.Message,
		RequestID: env.Error.InnerError.RequestID, Date: env.Error.InnerError.Date}
	if ge.RequestID == "" {
		ge.RequestID = resp.Header.Get("request-id")
	}
	if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s >= 0 {
		ge.RetryAfter = time.Duration(s) * time.Second
	}
	return ge, nil
}

// list follows @odata.nextLink for a collection, at most maxPages pages, and
// only to links under the configured Graph URL: the token goes nowhere else.
func list[T any](ctx context.Context, d *Directory, c call) ([]T, error) {
	var all []T
	target := d.cfg.GraphURL + c.path
	if len(c.query) > 0 {
		target += "?" + c.query.Encode()
	}
	for page := 0; page < maxPages; page++ {
		var resp struct {
			Value    []T    `json:"value"`
			NextLink string `json:"@odata.nextLink"`
		}
		if err := d.send(ctx, c, target, nil, &resp); err != nil {
			return nil, err
		}
		all = append(all, resp.Value...)
		if resp.NextLink == "" {
			return all, nil
		}
		if !strings.HasPrefix(resp.NextLink, d.cfg.GraphURL+"/") {
			return nil, fmt.Errorf("graph: nextLink outside %s refused", d.cfg.GraphURL)
		}
		target = resp.NextLink
	}
	return nil, fmt.Errorf("graph: more than %d pages for %s", maxPages, c.path)
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
