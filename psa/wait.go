package psa

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// What every HTTP PSA client needs when a vendor says "slow down": read
// its Retry-After, and wait without outliving the caller.

// RetryAfter reads an HTTP Retry-After value, seconds or an HTTP date, as
// the wait from now: zero when absent, unreadable or past. Each client
// caps it at what it is willing to wait.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(n)*time.Second, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// Sleep waits d, or until ctx ends (its error then).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
