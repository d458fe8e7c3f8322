package freshdesk_test

import (
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa/freshdesk"
)

func TestPingIsOneAuthenticatedRead(t *testing.T) {
	if err := newRig(t).c.Ping(ctx); err != nil {
		t.Fatalf("healthy: %v", err)
	}
	wrong := newRig(t, func(c *freshdesk.Config) { c.APIKey = identity.NewSecret("wrong-" + apiKey) })
	err := wrong.c.Ping(ctx)
	if err == nil || strings.Contains(err.Error(), apiKey) {
		t.Fatalf("wrong key: %v", err)
	}
}
