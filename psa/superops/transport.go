package superops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/unlockbot/unlockbot/psa"
)

// callKind says what a failed call may have done, which decides whether a
// retry is safe.
type callKind int

const (
	read     callKind = iota // retry freely
	mutation                 // a lost answer may mean it happened: the caller decides
)

// ErrMaybeDone wraps a mutation failure after which SuperOps may have done
// the work (dropped connection, timeout, 5xx): the caller looks for its
// marker before sending the mutation again.
var ErrMaybeDone = errors.New("SuperOps may have applied the change")

// graphQLError is one entry of a response's "errors".
type graphQLError struct {
	Message    string `json:"message"`
	Extensions struct {
		Classification string        `json:"classification"`
		ClientError    []clientError `json:"clientError"`
	} `json:"extensions"`
}

type clientError struct {
	Code  string `json:"code"`
	Param struct {
		Attributes []string `json:"attributes"`
	} `json:"param"`
}

// APIError is an answer SuperOps gave: an HTTP status, or errors inside a
// 200. Its message carries codes and attributes, never a value we sent.
type APIError struct {
	Op         string
	HTTPStatus int
	Codes      []string // clientError codes
	Attributes []string // clientError param.attributes
	Validation string   // a GraphQL validation message (our document is wrong)
}

func (e *APIError) Error() string {
	switch {
	case e.HTTPStatus == http.StatusUnauthorized:
		return fmt.Sprintf("superops %s: the API token was refused (401)", e.Op)
	case e.HTTPStatus != 0 && e.HTTPStatus != http.StatusOK:
		return fmt.Sprintf("superops %s: HTTP %d", e.Op, e.HTTPStatus)
	case len(e.Codes) > 0:
		return fmt.Sprintf("superops %s: %v %v", e.Op, e.Codes, e.Attributes)
	}
	return fmt.Sprintf("superops %s: %s", e.Op, e.Validation)
}

// SafeMessage is the sentence bot/ shows the technician: what SuperOps
// did and what to check, never a value we sent.
func (e *APIError) SafeMessage() string {
	switch {
	case e.HTTPStatus == http.StatusUnauthorized:
		return "SuperOps refused the API token: check psa.superops.api_token_env or api_token_file."
	case e.Has("rate_limit_exceeded") || e.HTTPStatus == http.StatusTooManyRequests:
		return "SuperOps is rate-limiting unlockbot; it will be tried again."
	case e.HTTPStatus >= 500:
		return "SuperOps had an internal error; it will be tried again."
	case e.Has("mandatory_validation_failed") && contains(e.Attributes, "requester"):
		return "SuperOps needs a requester and the account's e-mail matches no user of the client: set psa.superops.requester_user_id."
	case e.Has("entity_does_not_exist") && contains(e.Attributes, "status"):
		return "SuperOps refused a status name: check psa.superops.new_status and resolved_status."
	case e.Has("entity_does_not_exist"):
		return "SuperOps has no such ticket or client: check psa.company_id."
	}
	return "SuperOps refused the request: check the org's psa.superops settings."
}

// Has reports whether SuperOps answered with this clientError code.
func (e *APIError) Has(code string) bool {
	for _, c := range e.Codes {
		if c == code {
			return true
		}
	}
	return false
}

// retryable: rate limit (429 or rate_limit_exceeded in a 200) and 5xx.
func (e *APIError) retryable() bool {
	return e.HTTPStatus == http.StatusTooManyRequests || e.HTTPStatus >= 500 || e.Has("rate_limit_exceeded")
}

type attemptErr struct {
	err   error
	wait  time.Duration // advised (Retry-After); 0 = backoff
	retry bool
	maybe bool // the mutation may have happened
}

// do posts one operation and decodes data into out, retrying what is safe
// to retry: reads on any transient failure, mutations only when SuperOps
// certainly did not run them (rate limited). A mutation whose outcome is
// unknown returns an error wrapping ErrMaybeDone.
func (c *Client) do(ctx context.Context, kind callKind, opName, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "operationName": opName, "variables": vars})
	if err != nil {
		return fmt.Errorf("superops %s: %w", opName, err)
	}
	backoff := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		a := c.attempt(ctx, opName, body, out)
		if a == nil {
			return nil
		}
		if kind == mutation && a.maybe {
			return fmt.Errorf("%w: %w", ErrMaybeDone, a.err)
		}
		if !a.retry || attempt >= c.cfg.MaxRetries || ctx.Err() != nil {
			return a.err
		}
		wait := a.wait
		if wait <= 0 {
			wait = c.jitter(backoff)
			backoff *= 2
		}
		c.cfg.Log.Warn().Str("psa", "superops").Str("op", opName).Int("attempt", attempt+1).Dur("wait", wait).Err(a.err).Msg("superops call failed, retrying")
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func (c *Client) attempt(ctx context.Context, opName string, body []byte, out any) *attemptErr {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL, bytes.NewReader(body))
	if err != nil {
		return &attemptErr{err: fmt.Errorf("superops %s: %w", opName, err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token.Reveal())
	req.Header.Set("CustomerSubDomain", c.cfg.Subdomain)
	resp, err := c.http.Do(req)
	if err != nil {
		// The request may have reached SuperOps: unknown outcome.
		return &attemptErr{err: fmt.Errorf("superops %s: %w", opName, unwrapURL(err)), retry: true, maybe: true}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return &attemptErr{err: fmt.Errorf("superops %s: reading the answer: %w", opName, err), retry: true, maybe: true}
	}
	if resp.StatusCode != http.StatusOK {
		e := &APIError{Op: opName, HTTPStatus: resp.StatusCode}
		return &attemptErr{err: e, retry: e.retryable(), wait: min(psa.RetryAfter(resp.Header.Get("Retry-After"), c.cfg.Now()), 2*time.Minute), maybe: resp.StatusCode >= 500}
	}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []graphQLError  `json:"errors"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return &attemptErr{err: fmt.Errorf("superops %s: the answer is not JSON: %w", opName, err), retry: true, maybe: true}
	}
	if len(env.Errors) > 0 {
		e := &APIError{Op: opName, HTTPStatus: http.StatusOK}
		for _, g := range env.Errors {
			for _, ce := range g.Extensions.ClientError {
				e.Codes = append(e.Codes, ce.Code)
				e.Attributes = append(e.Attributes, ce.Param.Attributes...)
			}
			if len(g.Extensions.ClientError) == 0 && e.Validation == "" {
				e.Validation = g.Message
			}
		}
		// Rate limited in a 200: SuperOps refused the call, so a retry is
		// safe even for a mutation.
		return &attemptErr{err: e, retry: e.retryable()}
	}
	if out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return &attemptErr{err: fmt.Errorf("superops %s: unexpected answer: %w", opName, err)}
		}
	}
	return nil
}

// unwrapURL drops *url.Error's "Post <url>:" prefix; the URL is in the log
// already and the error stays short.
func unwrapURL(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}
