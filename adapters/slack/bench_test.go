package slack

import (
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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
		w := e.send("/slack/commands", e.command(uTech, chAcme, "alice"))
		if w.Code != http.StatusOK || w.Body.Len() != 0 {
			b.Fatalf("status %d body %q", w.Code, w.Body.String())
		}
	}
	b.StopTimer()
	if n := len(e.fake.Calls("views.open")); n < b.N {
		b.Fatalf("%d views.open for %d commands", n, b.N)
	}
}

// TestLoadSlashCommands fires 200 /unlock per second for 5 s over real HTTP
// and reports latency percentiles. Opt-in: UNLOCKBOT_LOAD=1.
func TestLoadSlashCommands(t *testing.T) {
	if os.Getenv("UNLOCKBOT_LOAD") != "1" {
		t.Skip("set UNLOCKBOT_LOAD=1 to run the load test")
	}
	const rate, dur = 200, 5 * time.Second
	e := newEnv(t, storetest.NewRedisStore(t))
	e.a.Warm(t.Context())
	srv := httptest.NewServer(e.mux)
	defer srv.Close()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

	var (
		mu   sync.Mutex
		lat  []time.Duration
		fail int
		wg   sync.WaitGroup
	)
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	end := time.Now().Add(dur)
	for time.Now().Before(end) {
		<-tick.C
		body := e.command(uTech, chAcme, "alice").Encode()
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/slack/commands", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", Sign(testSecret, ts, []byte(body)))
			start := time.Now()
			resp, err := client.Do(req)
			d := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || resp.StatusCode != http.StatusOK {
				fail++
			} else {
				lat = append(lat, d)
			}
			if resp != nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if len(lat) == 0 {
		t.Fatal("no request succeeded")
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)] }
	t.Logf("load: %d ok, %d failed over %s at %d/s; p50 %s, p99 %s, max %s; views.open %d",
		len(lat), fail, dur, rate, pct(0.50), pct(0.99), lat[len(lat)-1], len(e.fake.Calls("views.open")))
	if fail > 0 {
		t.Errorf("%d requests failed", fail)
	}
	if p := pct(0.99); p > 3*time.Second {
		t.Errorf("p99 %s breaks Slack's 3 s budget", p)
	}
}
