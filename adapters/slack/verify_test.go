package slack

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// Our Sign agrees with slack-go's verifier, so the tests' signatures are
// Slack's.
func TestSignMatchesSlackGoVerifier(t *testing.T) {
	body := []byte("token=x&text=alice")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", Sign(testSecret, ts, body))
	v, err := slack.NewSecretsVerifier(h, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = v.Write(body)
	if err := v.Ensure(); err != nil {
		t.Fatalf("slack-go refuses our signature: %v", err)
	}
}

func TestRefusedRequestsDoNothing(t *testing.T) {
	e := newEnv(t, nil)
	form := e.command(uTech, chAcme, "alice")
	body := form.Encode()
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	cases := map[string]http.Header{
		"forged":        {"X-Slack-Request-Timestamp": {ts}, "X-Slack-Signature": {Sign("not-the-secret", ts, []byte(body))}},
		"stale 6 min":   nil, // signed correctly, 6 minutes old
		"future 6 min":  nil,
		"no signature":  {"X-Slack-Request-Timestamp": {ts}},
		"no timestamp":  {"X-Slack-Signature": {Sign(testSecret, ts, []byte(body))}},
		"not hex":       {"X-Slack-Request-Timestamp": {ts}, "X-Slack-Signature": {"v0=zz"}},
		"wrong version": {"X-Slack-Request-Timestamp": {ts}, "X-Slack-Signature": {strings.Replace(Sign(testSecret, ts, []byte(body)), "v0=", "v1=", 1)}},
	}
	for name, hdr := range cases {
		t.Run(name, func(t *testing.T) {
			var code int
			switch name {
			case "stale 6 min":
				code = e.sendAt("/slack/commands", form, now.Add(-6*time.Minute), nil).Code
			case "future 6 min":
				code = e.sendAt("/slack/commands", form, now.Add(6*time.Minute), nil).Code
			default:
				r, _ := http.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
				r.Header = hdr
				w := &recorder{h: http.Header{}}
				e.mux.ServeHTTP(w, r)
				code = w.code
			}
			if code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", code)
			}
		})
	}
	// The valid request goes through (once); then a body changed after
	// signing does not.
	e.mustOK(e.sendAt("/slack/commands", form, now, nil))
	r, _ := http.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(strings.Replace(body, "alice", "dadmin", 1)))
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", Sign(testSecret, ts, []byte(body)))
	rec := &recorder{h: http.Header{}}
	e.mux.ServeHTTP(rec, r)
	if rec.code != http.StatusUnauthorized {
		t.Fatalf("tampered body: status %d, want 401", rec.code)
	}
	if n := len(e.fake.Calls("views.open")); n != 1 {
		t.Fatalf("%d views.open, want exactly the 1 from the valid request", n)
	}
	if !strings.Contains(e.logs.String(), "slack.signature_refused") || strings.Contains(e.logs.String(), testSecret) {
		t.Fatalf("want a refusal log without the secret:\n%s", e.logs.String())
	}
}

func TestOversizedBodyRefused(t *testing.T) {
	e := newEnv(t, nil)
	big := url.Values{"text": {strings.Repeat("a", maxBody+10)}}
	if w := e.send("/slack/commands", big); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", w.Code)
	}
}

func TestReplayAndRetryRunOnce(t *testing.T) {
	stores(t, func(t *testing.T, st storeT) {
		e := newEnv(t, st)
		form := e.command(uTech, chAcme, "alice")
		now := time.Now()
		for range 3 { // the same signed bytes, three times
			if w := e.sendAt("/slack/commands", form, now, nil); w.Code != http.StatusOK || w.Body.Len() != 0 && !strings.Contains(w.Body.String(), "{") {
				t.Fatalf("status %d body %q", w.Code, w.Body.String())
			}
		}
		// The same request with the signature's hex upper-cased is a replay too.
		body := form.Encode()
		sts := strconv.FormatInt(now.Unix(), 10)
		up := strings.Replace(strings.ToUpper(Sign(testSecret, sts, []byte(body))), "V0=", "v0=", 1)
		r, _ := http.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
		r.Header.Set("X-Slack-Request-Timestamp", sts)
		r.Header.Set("X-Slack-Signature", up)
		rec := &recorder{h: http.Header{}}
		e.mux.ServeHTTP(rec, r)
		if rec.code != http.StatusOK || rec.b.Len() != 0 {
			t.Fatalf("upper-case replay: status %d body %q", rec.code, rec.b.String())
		}
		retry := http.Header{"X-Slack-Retry-Num": {"1"}, "X-Slack-Retry-Reason": {"http_timeout"}}
		if w := e.sendAt("/slack/commands", e.command(uTech, chAcme, "bob"), now, retry); w.Code != http.StatusOK || w.Body.Len() != 0 {
			t.Fatalf("retry: status %d body %q", w.Code, w.Body.String())
		}
		if n := len(e.fake.Calls("views.open")); n != 1 {
			t.Fatalf("%d views.open, want 1", n)
		}

		// A replayed Approve click resets once.
		id, _ := e.submitOK(uTech, validForm())
		click := e.click(uApprover, chApprovals, "unlockbot.approve", id)
		for range 3 {
			e.mustOK(e.sendAt("/slack/interactions", click, now, nil))
		}
		e.mustOK(e.sendAt("/slack/interactions", click, now, retry))
		e.wait()
		if n := e.dir.Calls.SetPassword; n != 1 {
			t.Fatalf("SetPassword called %d times, want 1", n)
		}
		if n := len(e.fake.Calls("chat.postEphemeral")); n != 0 {
			t.Fatalf("replays produced %d ephemeral messages; they must not run at all", n)
		}
	})
}

// recorder is a minimal ResponseWriter for hand-built requests.
type recorder struct {
	h    http.Header
	code int
	b    bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = 200
	}
	return r.b.Write(p)
}
func (r *recorder) WriteHeader(c int) {
	if r.code == 0 {
		r.code = c
	}
}
