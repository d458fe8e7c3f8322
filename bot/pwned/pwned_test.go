package pwned_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/pwned"
	"github.com/unlockbot/unlockbot/bot/pwned/pwnedtest"
	"github.com/unlockbot/unlockbot/identity"
)

func client(t *testing.T, fake *pwnedtest.Server, o pwned.Options) *pwned.Client {
	t.Helper()
	o.URL = fake.URL()
	c, err := pwned.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func check(t *testing.T, c *pwned.Client, pw string) (bool, error) {
	t.Helper()
	return c.Breached(context.Background(), identity.NewSecret(pw))
}

func TestBreachedAndNot(t *testing.T) {
	fake := pwnedtest.New(t)
	fake.Breach("Autumn-Leaves-2019", 42)
	fake.Breach("Seen-But-Zero-1", 0) // listed with count 0: not a breach
	c := client(t, fake, pwned.Options{})
	for pw, want := range map[string]bool{"Autumn-Leaves-2019": true, "Never-Seen-Anywhere-7#": false, "Seen-But-Zero-1": false} {
		if got, err := check(t, c, pw); err != nil || got != want {
			t.Errorf("%q: breached %t, err %v; want %t", pw, got, err, want)
		}
	}
}

// Only the 5-character prefix leaves the process: the whole of every
// request (line, headers, body) holds neither the password nor any 6
// characters of its hash, in either case.
func TestOnlyThePrefixLeaves(t *testing.T) {
	fake := pwnedtest.New(t)
	const pw = "Tr0ub4dor&3-horse"
	fake.Breach(pw, 3)
	c := client(t, fake, pwned.Options{UserAgent: "unlockbot-test/1"})
	if got, err := check(t, c, pw); err != nil || !got {
		t.Fatalf("breached %t, err %v", got, err)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	raw, hash := reqs[0], pwnedtest.Hash(pw)
	if !strings.HasPrefix(raw, "GET /range/"+hash[:5]+" HTTP/1.1\r\n") {
		t.Fatalf("request line: %q", strings.SplitN(raw, "\r\n", 2)[0])
	}
	for _, h := range []string{"Add-Padding: true", "User-Agent: unlockbot-test/1"} {
		if !strings.Contains(raw, h+"\r\n") {
			t.Errorf("request lacks %q", h)
		}
	}
	if strings.Contains(raw, pw) {
		t.Fatal("the password left the process")
	}
	for i := 0; i+6 <= len(hash); i++ {
		w := hash[i : i+6]
		if strings.Contains(raw, w) || strings.Contains(raw, strings.ToLower(w)) {
			t.Fatalf("hash characters %d–%d left the process", i, i+6)
		}
	}
}

// The fake pads with count-0 entries, one of them this password's own
// suffix: the answer is large, and the password is still not breached.
func TestPaddingIsNotABreach(t *testing.T) {
	fake := pwnedtest.New(t)
	const pw = "Padded-Not-Pwned-5!"
	fake.PadWith(pw)
	c := client(t, fake, pwned.Options{})
	if got, err := check(t, c, pw); err != nil || got {
		t.Fatalf("breached %t, err %v", got, err)
	}
}

func TestServiceDown(t *testing.T) {
	const pw = "Some-Password-123"
	for name, tc := range map[string]struct {
		setup func(*pwnedtest.Server)
		want  string
	}{
		"503":          {func(f *pwnedtest.Server) { f.FailNext(1, http.StatusServiceUnavailable, "") }, "HTTP 503"},
		"429 too long": {func(f *pwnedtest.Server) { f.FailNext(1, http.StatusTooManyRequests, "30") }, "longer than"},
		"429 twice":    {func(f *pwnedtest.Server) { f.FailNext(2, http.StatusTooManyRequests, "0") }, "HTTP 429"},
		"slow":         {func(f *pwnedtest.Server) { f.Delay(time.Second) }, "deadline exceeded"},
		"garbage":      {func(f *pwnedtest.Server) { f.AnswerNext("<html>proxy error</html>") }, "malformed range answer (line 1)"},
		"bad count":    {func(f *pwnedtest.Server) { f.AnswerNext(strings.Repeat("A", 35) + ":x") }, "malformed"},
		"not hex":      {func(f *pwnedtest.Server) { f.AnswerNext(strings.Repeat("G", 35) + ":1") }, "malformed"},
		"short suffix": {func(f *pwnedtest.Server) { f.AnswerNext(strings.Repeat("A", 34) + ":1") }, "malformed"},
		"empty":        {func(f *pwnedtest.Server) { f.AnswerNext("\r\n") }, "empty range answer"},
	} {
		t.Run(name, func(t *testing.T) {
			fake := pwnedtest.New(t)
			tc.setup(fake)
			c := client(t, fake, pwned.Options{Timeout: 200 * time.Millisecond})
			got, err := check(t, c, pw)
			if err == nil || got || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("breached %t, err %v; want an error with %q", got, err, tc.want)
			}
			assertNoHash(t, err, pw)
		})
	}
}

// A 429 whose Retry-After fits the budget is waited out once.
func TestRateLimitWaitedOut(t *testing.T) {
	for _, after := range []string{"1", "date", "soon"} {
		if after == "date" { // made now: whole seconds, so 1–2 s from now
			after = time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)
		}
		fake := pwnedtest.New(t)
		fake.Breach("Limited-Then-Found-1", 1)
		fake.FailNext(1, http.StatusTooManyRequests, after)
		c := client(t, fake, pwned.Options{Timeout: 4 * time.Second, MaxBackoff: 3 * time.Second})
		start := time.Now()
		got, err := check(t, c, "Limited-Then-Found-1")
		if err != nil || !got || len(fake.Requests()) != 2 {
			t.Fatalf("Retry-After %q: breached %t, err %v, %d requests", after, got, err, len(fake.Requests()))
		}
		if d := time.Since(start); d < 500*time.Millisecond {
			t.Fatalf("Retry-After %q: retried after %s, without waiting", after, d)
		}
	}
}

// A Retry-After of exactly MaxBackoff is still waited out.
func TestRateLimitAtMaxBackoff(t *testing.T) {
	fake := pwnedtest.New(t)
	fake.FailNext(1, http.StatusTooManyRequests, "1")
	c := client(t, fake, pwned.Options{Timeout: 3 * time.Second, MaxBackoff: time.Second})
	if _, err := check(t, c, "x"); err != nil || len(fake.Requests()) != 2 {
		t.Fatalf("err %v, %d requests", err, len(fake.Requests()))
	}
}

// A Retry-After past the check's own deadline is not waited on.
func TestRateLimitPastDeadline(t *testing.T) {
	fake := pwnedtest.New(t)
	fake.FailNext(1, http.StatusTooManyRequests, "2")
	c := client(t, fake, pwned.Options{Timeout: 500 * time.Millisecond, MaxBackoff: 5 * time.Second})
	start := time.Now()
	if _, err := check(t, c, "x"); err == nil || !strings.Contains(err.Error(), "past this check's deadline") {
		t.Fatalf("err %v", err)
	}
	if time.Since(start) > 400*time.Millisecond {
		t.Fatal("waited although the wait could not fit")
	}
}

// The caller's context ends the wait on a rate limit.
func TestRateLimitWaitCancelled(t *testing.T) {
	fake := pwnedtest.New(t)
	fake.FailNext(1, http.StatusTooManyRequests, "1")
	c := client(t, fake, pwned.Options{Timeout: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := c.Breached(ctx, identity.NewSecret("x"))
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "waiting out a rate limit") {
		t.Fatalf("err %v", err)
	}
}

// A refused connection's error names neither the URL nor the prefix.
func TestUnreachableErrorHidesThePrefix(t *testing.T) {
	c, err := pwned.New(pwned.Options{URL: "http://127.0.0.1:1", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "Unreachable-Pass-1"
	_, err = c.Breached(context.Background(), identity.NewSecret(pw))
	if err == nil || !strings.Contains(err.Error(), "range request") || strings.Contains(err.Error(), "/range/") {
		t.Fatalf("err %v", err)
	}
	assertNoHash(t, err, pw)
}

func TestNewRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"ftp://x", "https://", "::", "https://x/?mode=ntlm"} {
		if _, err := pwned.New(pwned.Options{URL: u}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
	if _, err := pwned.New(pwned.Options{}); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}

// The fake is strict: a prefix that is not 5 hex characters is a 400, as
// the service answers, and a client that does not name itself is refused.
func TestFakeIsStrict(t *testing.T) {
	fake := pwnedtest.New(t)
	for path, want := range map[string]int{"/range/ABCDE": 200, "/range/abcd": 400, "/range/ABCDEF": 400, "/range/ABCDG": 400, "/range/ABCDE?mode=ntlm": 400, "/other": 400} {
		req, _ := http.NewRequest(http.MethodGet, fake.URL()+path, nil)
		req.Header.Set("User-Agent", "t")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	resp, err := http.Get(fake.URL() + "/range/ABCDE")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("default Go User-Agent: %d", resp.StatusCode)
	}
	resp, err = http.Post(fake.URL()+"/range/ABCDE", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}

func assertNoHash(t *testing.T, err error, pw string) {
	t.Helper()
	h := pwnedtest.Hash(pw)
	if msg := err.Error(); strings.Contains(msg, pw) || strings.Contains(strings.ToUpper(msg), h[:5]) {
		t.Fatalf("error text %q holds the password or its hash prefix", msg)
	}
}
