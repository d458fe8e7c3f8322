package slack

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The timestamp window is ±5 minutes, both ends included: Slack's own
// rule is "more than five minutes" old, and a window one second narrower
// or wider on either side would pass unseen by the handler's 6-minute
// cases (mutation testing found the bounds unguarded).
func TestSignatureWindowEndsAtFiveMinutes(t *testing.T) {
	body := []byte("token=x&text=alice")
	at := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(at.Unix(), 10)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", Sign(testSecret, ts, body))
	for _, c := range []struct {
		now  time.Time
		want error
	}{
		{at, nil},
		{at.Add(maxSkew), nil},
		{at.Add(-maxSkew), nil},
		{at.Add(maxSkew + time.Second), errStale},
		{at.Add(-maxSkew - time.Second), errStale},
	} {
		if err := verifySignature([]byte(testSecret), h, body, c.now); !errors.Is(err, c.want) {
			t.Errorf("checked %s after signing: %v, want %v", c.now.Sub(at), err, c.want)
		}
	}
}

// A signature is the whole header: the right digest followed by anything
// (an odd digit, a non-hex pair) is refused, though its first 32 bytes
// decode to the digest; and a missing header is named as missing, for the
// log (mutation testing swapped each "or" for an "and" unseen).
func TestSignatureHeaderIsWhollyChecked(t *testing.T) {
	body := []byte("token=x&text=alice")
	at := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(at.Unix(), 10)
	good := Sign(testSecret, ts, body)
	check := func(sig, stamp string) error {
		h := http.Header{}
		if sig != "" {
			h.Set("X-Slack-Signature", sig)
		}
		if stamp != "" {
			h.Set("X-Slack-Request-Timestamp", stamp)
		}
		return verifySignature([]byte(testSecret), h, body, at)
	}
	if err := check(good, ts); err != nil {
		t.Fatalf("the right signature: %v", err)
	}
	for _, sig := range []string{good + "0", good + "zz"} {
		if err := check(sig, ts); !errors.Is(err, errBadSignature) {
			t.Errorf("%q: %v, want %v", sig[len(sig)-4:], err, errBadSignature)
		}
	}
	if err := check("", ts); !errors.Is(err, errNoSignature) {
		t.Errorf("no signature header: %v, want %v", err, errNoSignature)
	}
	if err := check(good, ""); !errors.Is(err, errNoSignature) {
		t.Errorf("no timestamp header: %v, want %v", err, errNoSignature)
	}
}
