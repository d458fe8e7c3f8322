package superops_test

import (
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa/superops"
)

func TestPingIsOneAuthenticatedQuery(t *testing.T) {
	if err := newRig(t).c.Ping(ctx); err != nil {
		t.Fatalf("healthy: %v", err)
	}
	bad := newRig(t, func(c *superops.Config) { c.Token = identity.NewSecret("wrong") })
	if err := bad.c.Ping(ctx); err == nil || !strings.Contains(err.Error(), "api_token_env") {
		t.Fatalf("bad token: %v", err)
	}
	gone := newRig(t, func(c *superops.Config) { c.CompanyID = "9999" })
	if err := gone.c.Ping(ctx); err == nil || !strings.Contains(err.Error(), "psa.company_id") {
		t.Fatalf("unknown client: %v", err)
	}
}
