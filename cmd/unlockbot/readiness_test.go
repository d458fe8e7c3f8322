package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// readyServer builds the production app from head (top-level YAML) and
// org (one org's YAML, indented four spaces under "- id: acme") and serves
// its /healthz and /readyz, checking every 2×timeout (at least 1s).
func readyServer(t *testing.T, head, org string, timeout time.Duration) *httptest.Server {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	t.Setenv("READY_SEAL_KEY", base64.StdEncoding.EncodeToString(key))
	y := head + fmt.Sprintf("\nseal_key_env: READY_SEAL_KEY\naudit: { file: %q, hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }] }\nhealth: { interval: %s, timeout: %s }\norgs:\n  - id: acme\n%s\n",
		filepath.Join(t.TempDir(), "audit.jsonl"), max(time.Second, 2*timeout), timeout, org)
	cfg, err := ParseConfig([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	a, err := buildApp(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	mux := http.NewServeMux()
	a.routes(mux)
	a.mountReadiness(ctx, mux, a.audit.watched...)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); cancel(); a.Close() })
	return srv
}

const demoOrg = "    directory: { kind: demo, dev_mode: true }"

// get returns /readyz's status and body, failing when it takes longer
// than a probe may wait.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	start := time.Now()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Fatalf("%s took %s: a probe must answer at once", url, took)
	}
	return r.StatusCode, string(b)
}

// settled polls /readyz until the first round is done.
func settled(t *testing.T, srv *httptest.Server) (int, string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, body := get(t, srv.URL+"/readyz")
		if !strings.HasPrefix(body, "starting") || time.Now().After(deadline) {
			return code, body
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestReadyWithRealRedis(t *testing.T) {
	head := fmt.Sprintf("redis_url: %q\nredis_prefix: \"ready:%s:\"", storetest.RedisURL(t), rand.Text())
	srv := readyServer(t, head, demoOrg, time.Second)
	if code, body := get(t, srv.URL+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz = %d %q", code, body)
	}
	code, body := settled(t, srv)
	if code != 200 {
		t.Fatalf("/readyz = %d:\n%s", code, body)
	}
	for _, want := range []string{"ready\n", "store ok\n", "org acme directory ok\n", "org acme psa ok\n", "audit file ok\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("/readyz lacks %q:\n%s", want, body)
		}
	}
}

func TestNotReadyWhenRedisIsDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	srv := readyServer(t, fmt.Sprintf("redis_url: \"redis://%s/0\"", addr), demoOrg, time.Second)
	code, body := settled(t, srv)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "store failing: ") || !strings.Contains(body, "org acme directory ok") {
		t.Fatalf("/readyz = %d, want 503 naming the store:\n%s", code, body)
	}
	if code, _ := get(t, srv.URL+"/healthz"); code != 200 {
		t.Fatal("/healthz must not depend on Redis")
	}
}

// A directory that accepts the connection and never answers: /readyz
// answers at once throughout, first "starting", then the timeout.
func TestHangingDirectoryNeverHangsTheProbe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() }) // held open, never answered
		}
	}()
	t.Setenv("READY_BIND_PASSWORD", "not-used-Pw1")
	org := fmt.Sprintf(`    directory:
      kind: ad
      url: "ldaps://%s"
      dev_mode: true
      insecure_skip_verify: true
      bind_dn: "CN=bot,DC=acme,DC=test"
      bind_password_env: READY_BIND_PASSWORD
      base_dn: "DC=acme,DC=test"`, l.Addr())
	srv := readyServer(t, "", org, 300*time.Millisecond)
	if code, body := get(t, srv.URL+"/readyz"); code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "starting") {
		t.Fatalf("before the first round: %d %q", code, body)
	}
	code, body := settled(t, srv)
	want := fmt.Sprintf("org acme directory failing: cannot reach ldaps://%s (timeout after 300ms)\n", l.Addr())
	if code != http.StatusServiceUnavailable || !strings.Contains(body, want) || !strings.Contains(body, "store ok") {
		t.Fatalf("/readyz = %d:\n%s\nwant %q", code, body, want)
	}
}

// A check that ignores its deadline altogether: the probe still answers,
// reports it, and does not start it again while it hangs.
func TestStuckCheckIsReportedNotRestarted(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var runs atomic.Int32
	r := newReadiness([]probe{
		{name: "store", target: "Redis", run: func(context.Context) error { return nil }},
		{name: "org acme psa", target: "the connectwise ticket system", run: func(context.Context) error {
			runs.Add(1)
			<-release // deaf to ctx
			return nil
		}},
		{name: "audit syslog", target: "the audit syslog", run: func(context.Context) error { return notChecked("no cheap call") }},
	}, time.Hour, 50*time.Millisecond, zerolog.Nop())
	srv := httptest.NewServer(r)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.round(ctx)
	r.mu.Lock()
	r.done = true
	r.mu.Unlock()
	code, body := get(t, srv.URL)
	if code != 503 || !strings.Contains(body, "org acme psa failing: cannot reach the connectwise ticket system (timeout after 50ms)") ||
		!strings.Contains(body, "audit syslog not checked: no cheap call") || !strings.Contains(body, "store ok") {
		t.Fatalf("%d:\n%s", code, body)
	}
	r.round(ctx)
	if _, body := get(t, srv.URL); !strings.Contains(body, "org acme psa failing: cannot reach the connectwise ticket system (no answer for") {
		t.Fatalf("second round:\n%s", body)
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("a stuck check was started %d times, want once", n)
	}
}

// The directory check against the lab's Samba AD: the bot account binds
// and reads the root DSE; a wrong password makes /readyz fail with a
// sentence and without the password.
func TestReadyAgainstActiveDirectory(t *testing.T) {
	lab := ldaptest.AD(t)
	org := func(pwEnv string) string {
		return fmt.Sprintf("    directory:\n      kind: ad\n      url: %q\n      ca_file: %q\n      bind_dn: %q\n      bind_password_env: %s\n      base_dn: %q",
			lab.URL, lab.CAFile, lab.BotDN, pwEnv, lab.UsersDN)
	}
	t.Setenv("READY_BIND_PASSWORD", lab.BotPassword)
	code, body := settled(t, readyServer(t, "", org("READY_BIND_PASSWORD"), 3*time.Second))
	if code != 200 || !strings.Contains(body, "org acme directory ok") {
		t.Fatalf("/readyz = %d:\n%s", code, body)
	}
	t.Setenv("READY_WRONG_PASSWORD", "wrong-"+lab.BotPassword)
	code, body = settled(t, readyServer(t, "", org("READY_WRONG_PASSWORD"), 3*time.Second))
	if code != 503 || !strings.Contains(body, "org acme directory failing: ") || strings.Contains(body, lab.BotPassword) {
		t.Fatalf("wrong bind password: /readyz = %d:\n%s", code, body)
	}
}
