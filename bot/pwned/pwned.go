// Package pwned asks Have I Been Pwned's Pwned Passwords range API whether a
// password has appeared in a breach, without telling it the password: only
// the first 5 hex characters of its SHA-1 leave the process (k-anonymity),
// and the answer, every suffix under that prefix, is compared here.
package pwned

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
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

// DefaultURL is the public service.
const DefaultURL = "https://api.pwnedpasswords.com"

// Defaults for Options.
const (
	DefaultTimeout    = 3 * time.Second
	DefaultMaxBackoff = 2 * time.Second
)

// maxBody bounds a range answer: about 1,000 lines of 40 bytes with
// padding, so 1 MiB is far more than any real one.
const maxBody = 1 << 20

// Options configure a Client; the zero value asks the public service.
type Options struct {
	URL        string        // base URL; DefaultURL when empty
	Timeout    time.Duration // per check, retries included; DefaultTimeout when 0
	MaxBackoff time.Duration // longest Retry-After waited on a 429; DefaultMaxBackoff when 0
	UserAgent  string        // "unlockbot" when empty
	HTTP       *http.Client  // http.DefaultClient's transport when nil
}

// Client checks passwords against the range API. It is safe for
// concurrent use.
type Client struct {
	base string
	opt  Options
	http *http.Client
}

// New checks the options and returns a Client.
func New(o Options) (*Client, error) {
	if o.URL == "" {
		o.URL = DefaultURL
	}
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return nil, errors.New("pwned: the URL must be https://host[/path] without a query")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.UserAgent == "" {
		o.UserAgent = "unlockbot"
	}
	hc := o.HTTP
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: strings.TrimRight(o.URL, "/"), opt: o, http: hc}, nil
}

// Breached reports whether pw is in the service's list with a count above
// zero (entries of count 0 are the padding the service adds so that the
// size of an answer tells an onlooker nothing). Errors name what failed,
// never the password, its hash or the prefix sent.
func (c *Client) Breached(ctx context.Context, pw identity.Secret) (bool, error) {
	sum := sha1.Sum([]byte(pw.Reveal()))
	hash := strings.ToUpper(hex.EncodeToString(sum[:]))
	prefix, suffix := hash[:5], hash[5:]
	ctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		found, wait, err := c.ask(ctx, prefix, suffix)
		if wait == 0 || attempt > 0 {
			return found, err
		}
		if wait > c.opt.MaxBackoff {
			return false, fmt.Errorf("pwned: rate limited for %s, longer than the %s this check waits", wait, c.opt.MaxBackoff)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return false, fmt.Errorf("pwned: rate limited for %s, past this check's deadline", wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, fmt.Errorf("pwned: waiting out a rate limit: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// ask makes one request. wait > 0 is a 429's Retry-After.
func (c *Client) ask(ctx context.Context, prefix, suffix string) (found bool, wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/range/"+prefix, nil)
	if err != nil {
		return false, 0, errors.New("pwned: could not build the range request")
	}
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", c.opt.UserAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error quotes the URL, which holds the prefix: keep only
		// the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return false, 0, fmt.Errorf("pwned: range request: %w", err)
	}
	defer resp.Body.Close()
	defer io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody)) // keep the connection reusable
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		w := retryAfter(resp.Header.Get("Retry-After"))
		return false, w, fmt.Errorf("pwned: rate limited (HTTP 429)")
	case resp.StatusCode != http.StatusOK:
		return false, 0, fmt.Errorf("pwned: range request answered HTTP %d", resp.StatusCode)
	}
	found, err = scan(io.LimitReader(resp.Body, maxBody), suffix)
	return found, 0, err
}

// scan reads "SUFFIX:COUNT" lines (CRLF or LF) and reports whether suffix
// is among them with a count above zero. A malformed line fails the whole
// answer: a proxy's error page must not read as "not breached".
func scan(r io.Reader, suffix string) (bool, error) {
	sc := bufio.NewScanner(r)
	found, lines := false, 0
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			continue
		}
		lines++
		s, n, ok := strings.Cut(line, ":")
		count, err := strconv.ParseUint(n, 10, 64)
		if !ok || err != nil || !isHex(s, 35) {
			return false, fmt.Errorf("pwned: malformed range answer (line %d)", lines)
		}
		if count > 0 && strings.EqualFold(s, suffix) {
			found = true
		}
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("pwned: reading the range answer: %w", err)
	}
	if lines == 0 {
		return false, errors.New("pwned: empty range answer")
	}
	return found, nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789ABCDEFabcdef", rune(s[i])) {
			return false
		}
	}
	return true
}

// retryAfter reads a Retry-After in seconds or as an HTTP date; a missing
// or unreadable one is a second.
func retryAfter(v string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return max(time.Duration(s)*time.Second, time.Millisecond)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), time.Millisecond)
	}
	return time.Second
}
