package kaseyabms_test

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestTokenRefreshThenReauthenticate(t *testing.T) {
	e := newEnv(t)
	e.fake.AccessTTL = 10 * time.Minute
	e.fake.RefreshTTL = 30 * time.Minute
	c := e.client(t)
	ctx := context.Background()
	list := func() {
		t.Helper()
		if _, err := c.ListOpen(ctx, "250", "", 5); err != nil {
			t.Fatal(err)
		}
	}
	list()
	list()
	if a, r := e.fake.AuthCalls(), e.fake.RefreshCalls(); a != 1 || r != 0 {
		t.Fatalf("one login for two calls: auth %d refresh %d", a, r)
	}
	e.clk.Add(9*time.Minute + 30*time.Second) // inside the skew before expiry
	list()
	if a, r := e.fake.AuthCalls(), e.fake.RefreshCalls(); a != 1 || r != 1 {
		t.Fatalf("refresh before expiry: auth %d refresh %d", a, r)
	}
	e.clk.Add(45 * time.Minute) // both tokens expired
	list()
	if a := e.fake.AuthCalls(); a != 2 {
		t.Fatalf("expired refresh token must log in again: auth %d", a)
	}
	e.fake.ExpireRefreshTokens()
	e.clk.Add(9*time.Minute + 30*time.Second)
	list()
	if a, r := e.fake.AuthCalls(), e.fake.RefreshCalls(); a != 3 || r != 1 {
		t.Fatalf("refused refresh falls back to a login: auth %d refresh %d", a, r)
	}
	e.fake.ExpireAccessTokens() // the server forgets: a 401 comes
	list()
	if a := e.fake.AuthCalls(); a != 4 {
		t.Fatalf("401 must log in again: auth %d", a)
	}
}

func TestOneRefreshInFlight(t *testing.T) {
	e := newEnv(t)
	e.fake.AccessTTL = 10 * time.Minute
	c := e.client(t)
	ctx := context.Background()
	if _, err := c.ListOpen(ctx, "250", "", 5); err != nil {
		t.Fatal(err)
	}
	e.clk.Add(9*time.Minute + 30*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.ListOpen(ctx, "250", "", 5)
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
	if a, r := e.fake.AuthCalls(), e.fake.RefreshCalls(); a != 1 || r != 1 {
		t.Fatalf("20 goroutines, want 1 refresh and no new login: auth %d refresh %d", a, r)
	}
}
