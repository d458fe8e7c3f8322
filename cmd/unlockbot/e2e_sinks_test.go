package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/redisstream"
	"github.com/unlockbot/unlockbot/audit/syslog/syslogtest"
	"github.com/unlockbot/unlockbot/bot/store/redisstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// TestSlackFlowWritesEverySinkAndLeaksNothing runs one Slack reset with
// the trail going to the file, a Redis Stream (real Redis) and a syslog
// receiver at once: each holds the same events as its own valid chain,
// /metrics counts the run, and no password, token or key appears in any
// of them or in the log.
func TestSlackFlowWritesEverySinkAndLeaksNothing(t *testing.T) {
	lab := ldaptest.AD(t)
	rcv := syslogtest.Start(t, nil)
	stream := "e2e:{audit-" + rand.Text()[:10] + "}:stream"
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	e := newE2EAudit(t, lab, "", "", path, fmt.Sprintf(", redis_stream: { stream: %q }, syslog: { network: tcp, addr: %q }", stream, rcv.Addr))
	rc := e.app.store.(*redisstore.Store).Client()
	t.Cleanup(func() { rc.Del(context.Background(), stream, redisstream.HeadKey(stream), stream+":turn") })
	name, dn := newLabUser(t, lab)
	lab.Lock(t, dn)

	if code, body := e.post("/slack/interactions", requestForm(name, "", e.trigger())); code != 200 {
		t.Fatalf("submission: %d %s", code, body)
	}
	id := requestIDIn(t, e.fake.Calls("chat.postMessage")[0].Body)
	e.click(uLead, chApprove, "unlockbot.approve", id)
	e.settle()
	e.click(uTech, "DTECH", "unlockbot.reveal", id)
	e.settle()
	var pw string
	for _, c := range e.fake.Calls("views.open") {
		if strings.Contains(c.Body, "slack.password_window") {
			pw = passwordInView(t, c.Body, lab, dn)
		}
	}
	if pw == "" || lab.Locked(t, dn) {
		t.Fatal("the reset did not happen")
	}

	fileTypes := typesOf(trailOf(t, path))
	n, err := redisstream.Verify(context.Background(), rc, stream, testKeyring(t))
	if err != nil || n != len(fileTypes) {
		t.Fatalf("stream: %d records (%v), the file has %d", n, err, len(fileTypes))
	}
	code, out := auditCLIWith(t, fmt.Sprintf("redis_url: %q\nseal_key_env: E2E_SEAL_KEY", storetest.RedisURL(t)),
		fmt.Sprintf(", redis_stream: { stream: %q }", stream), path, "verify", "--redis-stream")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("OK: %d records in %s", n, stream)) {
		t.Fatalf("audit verify --redis-stream (%d): %s", code, out)
	}
	msgs := rcv.WaitFor(10*time.Second, "every record", func(m []syslogtest.Message) bool { return len(m) >= len(fileTypes) })
	v := audit.NewVerifier(testKeyring(t))
	var sysTypes []string
	for i, m := range msgs {
		r, err := v.Next(m.Msg)
		if err != nil {
			t.Fatalf("syslog message %d does not verify: %v", i+1, err)
		}
		sysTypes = append(sysTypes, r.Type)
	}
	if strings.Join(sysTypes, " ") != strings.Join(fileTypes, " ") {
		t.Fatalf("syslog got %q\nthe file has %q", sysTypes, fileTypes)
	}
	if len(rcv.Violations()) > 0 {
		t.Fatalf("frames the receiver rejected: %v", rcv.Violations())
	}

	// syslog counts a record written once the connection stayed up after
	// it (half a second): scrape until it has, for at most 10 s.
	var scrape string
	var fams map[string]*dto.MetricFamily
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		scrape = scrapeMetrics(t, e.srv.URL+"/metrics")
		parser := expfmt.NewTextParser(model.LegacyValidation)
		if fams, err = parser.TextToMetricFamilies(strings.NewReader(scrape)); err != nil {
			t.Fatalf("/metrics does not parse: %v", err)
		}
		if metricValue(fams, "unlockbot_audit_sink_pending", map[string]string{"sink": "syslog"}) == 0 || time.Now().After(deadline) {
			break
		}
	}
	promtoolCheck(t, scrape)
	if got := metricValue(fams, "unlockbot_requests_total", map[string]string{"org": "lab", "platform": "slack", "outcome": "completed"}); got != 1 {
		t.Errorf("requests completed = %v, want 1", got)
	}
	for _, sink := range []string{"file", "redis-stream", "syslog"} {
		if got := metricValue(fams, "unlockbot_audit_sink_written_total", map[string]string{"sink": sink}); got < float64(len(fileTypes)) {
			t.Errorf("sink %s wrote %v records by its metrics, want %d", sink, got, len(fileTypes))
		}
	}
	if got := metricValue(fams, "unlockbot_directory_call_seconds", map[string]string{"org": "lab", "op": "set_password"}); got != 1 {
		t.Errorf("directory set_password calls timed: %v, want 1", got)
	}

	// Everything the run wrote, read back from where it went.
	fileText, _ := os.ReadFile(path)
	entries, _ := rc.XRange(context.Background(), stream, "-", "+").Result()
	var streamText, sysText bytes.Buffer
	for _, en := range entries {
		fmt.Fprintln(&streamText, en.Values)
	}
	for _, m := range msgs {
		sysText.Write(m.Frame)
	}
	outputs := map[string]string{"audit file": string(fileText), "stream": streamText.String(), "syslog": sysText.String(),
		"log": e.logs.String(), "/metrics": scrape}
	secrets := map[string]string{"password": pw, "bot token": e2eToken, "signing secret": e2eSigning,
		"seal key": os.Getenv("E2E_SEAL_KEY"), "audit key": os.Getenv("UNLOCKBOT_TEST_AUDIT_KEY"), "bind password": lab.BotPassword}
	for where, text := range outputs {
		if text == "" {
			t.Errorf("%s is empty: nothing was scanned", where)
		}
		for what, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("the %s appears in the %s", what, where)
			}
		}
	}
}

func typesOf(recs []audit.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Type
	}
	return out
}

func scrapeMetrics(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

// metricValue sums the series of a family whose labels include want: a
// counter's value, a histogram's sample count.
func metricValue(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	var sum float64
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		}
	}
	return sum
}

// promtoolCheck lints a scrape as Prometheus would (.ci/tools.sh installs
// promtool; outside CI it is skipped when missing).
func promtoolCheck(t *testing.T, scrape string) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is not installed: run bash .ci/tools.sh")
		}
		t.Log("promtool is not installed; run bash .ci/tools.sh to lint the scrape")
		return
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(scrape)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics on the bot's scrape: %v\n%s", err, out)
	}
}
