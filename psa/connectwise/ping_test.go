package connectwise_test

import (
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa/connectwise"
)

func TestPingIsOneAuthenticatedRead(t *testing.T) {
	if err := newRig(t).client.Ping(ctx); err != nil {
		t.Fatalf("healthy: %v", err)
	}
	keys := newRig(t, func(c *connectwise.Config) { c.PrivateKey = identity.NewSecret("wrong-" + privKey) })
	if err := keys.client.Ping(ctx); err == nil || !strings.Contains(err.Error(), "API keys") || strings.Contains(err.Error(), privKey) {
		t.Fatalf("bad keys: %v", err)
	}
	gone := newRig(t, func(c *connectwise.Config) { c.CompanyID = "999" })
	if err := gone.client.Ping(ctx); err == nil {
		t.Fatal("a company that does not exist answered the ping")
	}
}
