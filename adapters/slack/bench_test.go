package slack

import (
	"net/http"
	"testing"

	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

// BenchmarkSlashCommandToViewsOpen: a signed /unlock, checked against real
// Redis for replays, builds the form and reaches the fake's views.open over
// HTTP.
func BenchmarkSlashCommandToViewsOpen(b *testing.B) {
	e := newEnv(b, storetest.NewRedisStore(b))
	e.a.Warm(b.Context())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := e.send("/slack/commands", e.command(uTech, chAcme, benchText))
		if w.Code != http.StatusOK || w.Body.Len() != 0 {
			b.Fatalf("status %d body %q", w.Code, w.Body.String())
		}
	}
	b.StopTimer()
	if n := len(e.fake.Calls("views.open")); n < b.N {
		b.Fatalf("%d views.open for %d commands", n, b.N)
	}
}

// benchText is what follows /unlock; "alice" would add the facts redraw
// after the answer, which the load tool measures in its own process.
const benchText = ""
