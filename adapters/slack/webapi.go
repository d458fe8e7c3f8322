package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

// DefaultAPIURL is Slack's Web API base.
const DefaultAPIURL = "https://slack.com/api/"

// Rate-limit handling: Slack answers 429 with Retry-After (seconds). We wait
// that long, at most twice, and never longer than maxRetryWait per wait, so a
// click is answered (or refused) within a bounded time.
const (
	maxRateRetries = 2
	maxRetryWait   = 10 * time.Second
)

// webAPI is a small Slack Web API client. slack-go's Client sends the token
// in the form body for most methods; this one always uses the Authorization
// header (the token never sits in a request body a proxy might log) and lets
// us bound the 429 retries.
type webAPI struct {
	base  string
	token identity.Secret
	http  *http.Client
	sleep func(ctx context.Context, d time.Duration) error
}

// APIError is an ok:false answer (or a transport failure) from Slack. Its
// SafeMessage is the sentence a chat user sees.
type APIError struct {
	Method  string
	Code    string // Slack's error string: "not_in_channel", "ratelimited", ...
	Channel string // the channel the call was about, when there was one
	Details []string
	Err     error
	// retryAfter is Slack's Retry-After on a 429 (or one second for an
	// ok:false ratelimited); zero otherwise.
	retryAfter time.Duration
}

func (e *APIError) Error() string {
	s := "slack " + e.Method + ": " + e.Code
	if len(e.Details) > 0 {
		s += " (" + strings.Join(e.Details, "; ") + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *APIError) Unwrap() error { return e.Err }

// RetryAfter is how long Slack asked to wait (zero: not rate limited), for
// bot/outbox, which holds the whole channel that long on every replica.
func (e *APIError) RetryAfter() time.Duration { return e.retryAfter }

// SafeMessage turns Slack's error code into an actionable sentence.
func (e *APIError) SafeMessage() string {
	switch e.Code {
	case "not_in_channel", "channel_not_found":
		if e.Channel != "" && !isUserID(e.Channel) {
			return fmt.Sprintf("Invite @unlockbot to the channel with id %s (type /invite @unlockbot in it), then try again.", e.Channel)
		}
		return "Invite @unlockbot to the channel (/invite @unlockbot), then try again."
	case "is_archived":
		return "That channel is archived. Ask an unlockbot admin to set another approval channel."
	case "invalid_auth", "not_authed", "token_revoked", "account_inactive", "missing_scope":
		return "unlockbot's Slack token is not valid or lacks a permission. Ask an unlockbot admin to check the Slack app."
	case "ratelimited":
		return "Slack is rate-limiting unlockbot. Try again in a minute."
	case "expired_trigger_id", "exchanged_trigger_id":
		return "Slack took too long to answer. Run the command again."
	case "transport":
		return "Slack did not answer. Try again in a minute."
	}
	return "Slack refused the message (" + e.Code + "). Try again; if it keeps failing, ask an admin to check the unlockbot log."
}

func isUserID(ch string) bool { return strings.HasPrefix(ch, "U") || strings.HasPrefix(ch, "W") }

// errCode returns Slack's error string in err's chain, or "".
func errCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

type apiEnvelope struct {
	OK               bool   `json:"ok"`
	Error            string `json:"error"`
	ResponseMetadata struct {
		Messages []string `json:"messages"`
	} `json:"response_metadata"`
}

// callJSON posts a JSON body (Slack's write methods accept JSON).
func (c *webAPI) callJSON(ctx context.Context, method, channel string, body any, out any) error {
	raw, err := encodeBody(method, channel, body)
	if err != nil {
		return err
	}
	return c.do(ctx, method, channel, jsonType, raw, out)
}

// callJSONOnce is callJSON without the 429 retries, for the chat methods:
// their retries wait in bot/outbox, behind the channel's shared pace.
func (c *webAPI) callJSONOnce(ctx context.Context, method, channel string, body any, out any) error {
	raw, err := encodeBody(method, channel, body)
	if err != nil {
		return err
	}
	_, err = c.once(ctx, method, channel, jsonType, raw, out)
	return err
}

const jsonType = "application/json; charset=utf-8"

func encodeBody(method, channel string, body any) ([]byte, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, &APIError{Method: method, Code: "encode", Channel: channel, Err: err}
	}
	return raw, nil
}

// callForm posts form values (read methods such as usergroups.users.list
// take no JSON body).
func (c *webAPI) callForm(ctx context.Context, method string, args url.Values, out any) error {
	return c.do(ctx, method, "", "application/x-www-form-urlencoded", []byte(args.Encode()), out)
}

func (c *webAPI) do(ctx context.Context, method, channel, ctype string, body []byte, out any) error {
	for attempt := 0; ; attempt++ {
		wait, err := c.once(ctx, method, channel, ctype, body, out)
		if wait < 0 || attempt >= maxRateRetries {
			return err
		}
		if wait > maxRetryWait {
			return err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return err // would not fit: give up now rather than at the deadline
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return err
		}
	}
}

// once makes one HTTP call. wait >= 0 means "rate limited, retry after wait".
func (c *webAPI) once(ctx context.Context, method, channel, ctype string, body []byte, out any) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+method, bytes.NewReader(body))
	if err != nil {
		return -1, &APIError{Method: method, Code: "transport", Channel: channel, Err: err}
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	resp, err := c.http.Do(req)
	if err != nil {
		return -1, &APIError{Method: method, Code: "transport", Channel: channel, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return -1, &APIError{Method: method, Code: "transport", Channel: channel, Err: err}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		secs, perr := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After")))
		if perr != nil || secs < 0 {
			secs = 1
		}
		wait := time.Duration(secs) * time.Second
		return wait, &APIError{Method: method, Code: "ratelimited", Channel: channel, retryAfter: max(wait, time.Second)}
	}
	if resp.StatusCode != http.StatusOK {
		return -1, &APIError{Method: method, Code: "transport", Channel: channel, Err: fmt.Errorf("HTTP %d", resp.StatusCode)}
	}
	var env apiEnvelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return -1, &APIError{Method: method, Code: "transport", Channel: channel, Err: fmt.Errorf("decoding answer: %w", err)}
	}
	if !env.OK {
		code := env.Error
		if code == "" {
			code = "unknown_error"
		}
		if code == "ratelimited" {
			return time.Second, &APIError{Method: method, Code: code, Channel: channel, retryAfter: time.Second}
		}
		return -1, &APIError{Method: method, Code: code, Channel: channel, Details: env.ResponseMetadata.Messages}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return -1, &APIError{Method: method, Code: "transport", Channel: channel, Err: fmt.Errorf("decoding answer: %w", err)}
		}
	}
	return -1, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
