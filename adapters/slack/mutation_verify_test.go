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
