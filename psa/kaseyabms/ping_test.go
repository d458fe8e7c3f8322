package kaseyabms_test

import (
	"context"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
)

func TestPingReusesTheToken(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	for range 3 {
		if err := c.Ping(context.Background()); err != nil {
			t.Fatalf("healthy: %v", err)
		}
	}
	if n := e.fake.AuthCalls(); n != 1 {
		t.Fatalf("three pings logged in %d times, want once (the security endpoints are rate limited)", n)
	}
	e = newEnv(t)
	e.cfg.Password = identity.NewSecret("wrong-" + apiPassword)
	if err := e.client(t).Ping(context.Background()); err == nil {
		t.Fatal("a refused login answered the ping")
	}
	e = newEnv(t)
	e.cfg.CompanyID = "999"
	if err := e.client(t).Ping(context.Background()); err == nil {
		t.Fatal("an account that does not exist answered the ping")
	}
}
