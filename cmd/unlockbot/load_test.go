package main

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/slack"
	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
)

// TestLoadServeProcess is the project's load tool (UNLOCKBOT_LOAD=1): the
// real `unlockbot serve` binary in its own process, real Redis, the fake
// Slack in this process; signed /unlock commands at 200/s for 10 s, timed
// from the moment each is sent to the moment its views.open reaches the
// fake. Each command names an account, so serve also reads its facts and
// redraws the modal after the answer, as it would in production.
// UNLOCKBOT_LOAD_RATE sets the rate, UNLOCKBOT_LOAD_TEXT what follows
// /unlock. It reports; it does not assert a speed.
func TestLoadServeProcess(t *testing.T) {
	if os.Getenv("UNLOCKBOT_LOAD") != "1" {
		t.Skip("set UNLOCKBOT_LOAD=1 to run the load test")
	}
	rate, dur, text := 200, 10*time.Second, "alice"
	if v, ok := os.LookupEnv("UNLOCKBOT_LOAD_TEXT"); ok {
		text = v // "" = /unlock without an account: no facts redraw after the answer
	}
	if r, err := strconv.Atoi(os.Getenv("UNLOCKBOT_LOAD_RATE")); err == nil && r > 0 {
		rate = r // e.g. 400, 1600: the budget is stated for 200–1600 commands a second
	}
	// UNLOCKBOT_LOAD_TARGET=bare measures the reference instead: a bare
	// slack-go handler (testdata/barehandler) that verifies the same
	// signature and opens a fixed modal, in the same harness.
	fake := slacktest.New(t, e2eToken)
	base, cmd, _ := loadProcess(t, "./testdata/barehandler", "slack: { team_id: "+slacktest.DefaultTeamID+", app_id: "+slacktest.DefaultAppID+" }",
		fmt.Sprintf("slack: { channels: [%s], approval_channel: %s, technicians: [%s], approvers: [%s] }", chHelp, chApprove, uTech, uLead),
		"SLACK_BOT_TOKEN="+e2eToken, "SLACK_SIGNING_SECRET="+e2eSigning, "SLACK_API_URL="+fake.APIURL())

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var (
		mu    sync.Mutex
		sent  = map[string]time.Time{}
		resp  []time.Duration
		fails int
		wg    sync.WaitGroup
	)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	end := time.Now().Add(dur)
	for i := 0; time.Now().Before(end); i++ {
		<-tick.C
		trigger := fmt.Sprintf("T%d", i)
		body := url.Values{"command": {"/unlock"}, "text": {text}, "user_id": {uTech}, "user_name": {"tess"},
			"channel_id": {chHelp}, "team_id": {slacktest.DefaultTeamID}, "api_app_id": {slacktest.DefaultAppID}, "trigger_id": {trigger}, "response_url": {"https://hooks.example/x"}}.Encode()
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			req, _ := http.NewRequest(http.MethodPost, base+"/slack/commands", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", slack.Sign(e2eSigning, ts, []byte(body)))
			start := time.Now()
			mu.Lock()
			sent[trigger] = start
			mu.Unlock()
			r, err := client.Do(req)
			d := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || r.StatusCode != http.StatusOK {
				fails++
			} else {
				resp = append(resp, d)
			}
			if r != nil {
				r.Body.Close()
			}
		}()
	}
	wg.Wait()
	var toView []time.Duration
	for _, c := range fake.Calls("views.open") {
		if at, ok := sent[c.Str("trigger_id")]; ok {
			toView = append(toView, c.At.Sub(at))
		}
	}
	pct := percentile
	t.Logf("serve process, %d/s for %s: %d sent, %d failed, %d views.open (%.0f/s)", rate, dur, len(sent), fails, len(toView), float64(len(toView))/dur.Seconds())
	t.Logf("request → views.open at the fake: p50 %v, p99 %v, max %v", pct(toView, .5), pct(toView, .99), pct(toView, 1))
	t.Logf("request → response to Slack:      p50 %v, p99 %v, max %v", pct(resp, .5), pct(resp, .99), pct(resp, 1))
	time.Sleep(500 * time.Millisecond) // work after the answers (facts redraws) ends
	logUsage(t, cmd, len(sent), "command")
	if fails > 0 || len(toView) != len(sent) {
		t.Errorf("%d failures, %d of %d views opened", fails, len(toView), len(sent))
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if r, err := http.Get(base + "/healthz"); err == nil {
			r.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("unlockbot serve did not come up")
}

// procUsage reads a process's CPU time (user + system) and peak resident
// memory (VmHWM) from /proc, so the load tool reports what serve itself
// spent, apart from the generator and the fake sharing the machine.
func procUsage(pid int) (time.Duration, int64) {
	var cpu time.Duration
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// Fields after the ")" that ends the command name; utime and
		// stime are the 14th and 15th fields, in clock ticks (100 Hz).
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			cpu = time.Duration(u+s) * 10 * time.Millisecond
		}
	}
	var rss int64
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				rss = kb << 10
			}
		}
	}
	return cpu, rss
}
