package entra_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/entra"
	"github.com/unlockbot/unlockbot/identity/entra/entratest"
)

func TestTokenCachedSingleFlight(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := d.Search(context.Background(), "al", 5)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Calls("token"); n != 1 {
		t.Fatalf("%d token calls for 50 concurrent searches, want 1", n)
	}
	if s.Calls("GET /users") != 50 {
		t.Fatalf("%d searches", s.Calls("GET /users"))
	}
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	now := time.Now()
	d.SetNow(func() time.Time { return now })
	if err := d.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	now = now.Add(50 * time.Minute) // 10 min left: still used
	_ = d.Ping(context.Background())
	if s.Calls("token") != 1 {
		t.Fatalf("token fetched again with 10 min left")
	}
	now = now.Add(6 * time.Minute) // 4 min left: renewed
	_ = d.Ping(context.Background())
	if s.Calls("token") != 2 {
		t.Fatalf("token not renewed 5 min before expiry: %d calls", s.Calls("token"))
	}
	// Graph says expired (clocks disagree): one fresh token, then success.
	s.Advance(2 * time.Hour)
	if err := d.Ping(context.Background()); err != nil || s.Calls("token") != 3 {
		t.Fatalf("after Graph's 401: %v, %d token calls", err, s.Calls("token"))
	}
}

func TestBadCredentialsSentences(t *testing.T) {
	s := tenant(t)
	cases := []struct {
		edit func(*entra.Config)
		want string
	}{
		{func(c *entra.Config) { c.ClientSecret = identity.NewSecret("wrong~secret~value") }, "AADSTS7000215"},
		{func(c *entra.Config) { c.ClientID = "99999999-9999-4999-8999-999999999999" }, "AADSTS700016"},
		{func(c *entra.Config) { c.TenantID = "77777777-7777-4777-8777-777777777777" }, "AADSTS90002"},
	}
	for _, c := range cases {
		d, _ := dir(t, s, c.edit)
		err := d.Ping(context.Background())
		msg := safe(err)
		if !errors.Is(err, identity.ErrRights) || identity.KindOf(err) != identity.KindForbidden || !strings.Contains(msg, c.want) {
			t.Fatalf("err = %v / %q", err, msg)
		}
		for _, secret := range []string{"wrong~secret~value", entratest.Secret} {
			if strings.Contains(err.Error(), secret) || strings.Contains(msg, secret) {
				t.Fatalf("secret in error: %v", err)
			}
		}
	}
	d, _ := dir(t, s, cases[0].edit)
	if msg := safe(d.Ping(context.Background())); !strings.Contains(msg, "client_secret") || !strings.Contains(msg, "Certificates & secrets") {
		t.Fatalf("bad-secret sentence does not say what to fix: %q", msg)
	}
	if _, err := entra.New(entra.Config{TenantID: entratest.TenantID, ClientID: entratest.ClientID}); err == nil || !strings.Contains(safe(err), "client_secret") {
		t.Fatalf("empty secret: %v", err)
	}
}

func TestThrottlingRetryAfterHonoured(t *testing.T) {
	s := tenant(t)
	d, w := dir(t, s)
	s.Throttle("GET /users", 2, 3)
	got, err := d.Search(context.Background(), "al", 5)
	if err != nil || len(got) != 1 {
		t.Fatalf("after throttling: %v %v", got, err)
	}
	if !slices.Equal(w.d, []time.Duration{3 * time.Second, 3 * time.Second}) || s.Calls("GET /users") != 3 {
		t.Fatalf("waits %v, %d calls", w.d, s.Calls("GET /users"))
	}
	// Bounded: three tries, then a sentence.
	s.Throttle("GET /users", 3, 1) // exactly the tries allowed
	_, err = d.Search(context.Background(), "al", 5)
	if identity.KindOf(err) != identity.KindUnavailable || !strings.Contains(safe(err), "throttling") || s.Calls("GET /users") != 6 {
		t.Fatalf("err %v, %d calls", err, s.Calls("GET /users"))
	}
	// A Retry-After longer than a person waits is not waited for.
	w.d = nil
	s.Throttle("GET /users", 1, 120)
	if _, err := d.Search(context.Background(), "al", 5); identity.KindOf(err) != identity.KindUnavailable || len(w.d) != 0 {
		t.Fatalf("waited %v: %v", w.d, err)
	}
	// 503 is retried for reads, without Retry-After by backoff.
	w.d = nil
	s.Fail("GET /users", 1, http.StatusServiceUnavailable, "serviceNotAvailable", "busy", 0)
	if _, err := d.Search(context.Background(), "al", 5); err != nil || !slices.Equal(w.d, []time.Duration{time.Second}) {
		t.Fatalf("503: %v, waits %v", err, w.d)
	}
}

func TestWriteNotRetriedOn503(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	a := lookup(t, d, "alice")
	s.Fail("PATCH /users/{id}", 1, http.StatusServiceUnavailable, "serviceNotAvailable", "busy", 0)
	err := reset(d, a, goodPW, false)
	if identity.KindOf(err) != identity.KindUnavailable || s.Calls("PATCH /users/{id}") != 1 {
		t.Fatalf("err %v, %d PATCH", err, s.Calls("PATCH /users/{id}"))
	}
	// 429 means Graph did nothing: retried.
	s.Throttle("PATCH /users/{id}", 1, 1)
	if err := reset(d, a, goodPW, false); err != nil || s.Calls("PATCH /users/{id}") != 3 {
		t.Fatalf("429 write: %v, %d PATCH", err, s.Calls("PATCH /users/{id}"))
	}
}

func TestContextCancelStopsWaiting(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s)
	d.SetSleep(func(ctx context.Context, _ time.Duration) error { <-ctx.Done(); return ctx.Err() })
	s.Throttle("GET /users", 3, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := d.Search(ctx, "al", 5)
	if err == nil || time.Since(start) > 2*time.Second || identity.KindOf(err) != identity.KindUnavailable {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
}
