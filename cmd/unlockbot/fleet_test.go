package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
	"github.com/unlockbot/unlockbot/psa/connectwise/connectwisetest"
)

// fleet is several `unlockbot serve` processes sharing one Redis (a fresh
// prefix), the Samba DC, one fake Slack and one fake ConnectWise: the
// shape of a Kubernetes deployment, with real processes that can be
// killed. The reliability and storm tests drive it as Slack would.
type fleet struct {
	lab      *ldaptest.Server
	slack    *slacktest.Server
	cw       *connectwisetest.Server
	bin      string
	redisURL string
	prefix   string
	seal     string
	techs    []string
	orgs     []fleetOrg
	extra    string // more org directory settings, one per line
	// pace is each channel's pace in the bot (slack.channel_interval and
	// channel_burst); the fake allows two more in a burst (Slack's
	// "short bursts", and the scheduler: newFleet) and refuses anything faster with a 429.
	pace     slacktest.ChannelLimit
	replicas []*replica
}

// fleetOrg is one client organization: its own subtree of the lab
// domain and its own approval channel.
type fleetOrg struct{ id, base, channel string }

// card is one approval card and the request on its Approve button.
type card struct{ channel, ts, id string }

// newFleet builds the binary and the fakes; start adds replicas. One org
// is "lab" on the whole delegated OU; more are storm0… on OU=Storm0…
func newFleet(t *testing.T, techs, orgs int, extra ...string) *fleet {
	t.Helper()
	if os.Getenv("UNLOCKBOT_FLEET") != "1" {
		// Not a missing server: these load the lab's one domain controller
		// for minutes and must not share it with the other packages' tests,
		// so `make test` runs them in a pass of their own (`make fleet`).
		t.Skip("the fleet tests run in their own pass: make fleet (UNLOCKBOT_FLEET=1 go test -run 'Reliability|LockoutStorm' ./cmd/unlockbot)")
	}
	f := &fleet{lab: ldaptest.AD(t), redisURL: storetest.RedisURL(t), prefix: "fleet:" + rand.Text()[:10] + ":"}
	f.bin = filepath.Join(t.TempDir(), "unlockbot")
	if out, err := exec.Command("go", "build", "-o", f.bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	key := make([]byte, 32)
	rand.Read(key)
	f.seal = base64.StdEncoding.EncodeToString(key)
	f.slack = slacktest.New(t, e2eToken)
	f.slack.SetGroup("SLEADS", uLead)
	// Slack's own pace is one message a second per channel; the fleet
	// keeps the same rule forty times faster so a storm drains in seconds.
	// The fake allows one call more in a burst, as Slack's "short bursts"
	// do, and one more for the scheduler: a send paced to its slot may
	// reach the fake up to an interval late on two loaded cores, which at
	// 25 ms bunches it with the next (at Slack's real 1 s it is 2.5% of an
	// interval). The per-second peak (paced) stays at the bot's own pace.
	f.pace = slacktest.ChannelLimit{Interval: 25 * time.Millisecond, Burst: 3}
	f.slack.LimitChannels(slacktest.ChannelLimit{Interval: f.pace.Interval, Burst: f.pace.Burst + 2})
	creds := connectwisetest.Credentials{Company: "msp", PublicKey: "pub-k", PrivateKey: "priv-k", ClientID: "5f0c0ab4-1111-4e2b-9c8f-0123456789ab"}
	f.cw = connectwisetest.New(t, creds)
	f.cw.AddCompany(connectwisetest.Company{ID: 250, Identifier: "Lab", Name: "Lab Corp"})
	f.cw.AddBoard(12, connectwisetest.Status{ID: 1, Name: "New"}, connectwisetest.Status{ID: 7, Name: "Closed", Closed: true})
	for i := range techs {
		f.techs = append(f.techs, fmt.Sprintf("UTECH%02d", i))
	}
	for _, l := range extra {
		f.extra += "\n      " + l
	}
	if orgs == 1 {
		f.orgs = []fleetOrg{{"lab", f.lab.UsersDN, chApprove}}
		return f
	}
	for i := range orgs {
		f.orgs = append(f.orgs, fleetOrg{fmt.Sprintf("storm%d", i), fmt.Sprintf("OU=Storm%d,%s", i, f.lab.UsersDN), fmt.Sprintf("CSTORM%d", i)})
	}
	return f
}

// start runs one more replica: a 20 s lease (twice its longest
// directory call) and a 1 s sweep, so a killed
// replica's work is taken over within seconds.
func (f *fleet) start(t *testing.T) *replica {
	t.Helper()
	r := startReplica(t, f.bin, func(port int, audit string) string {
		return fmt.Sprintf(`listen: "127.0.0.1:%d"
redis_url: %q
redis_prefix: %q
seal_key_env: FLEET_SEAL_KEY
log_level: info
audit: { file: %q, hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }] }
recovery: { lease: 20s, sweep_interval: 1s }
limits: { technician_open_requests: 100, technician_requests_per_hour: 1000 }
slack: { team_id: %s, app_id: %s, channel_interval: %s, channel_burst: %d }
orgs:
`, port, f.redisURL, f.prefix, audit, slacktest.DefaultTeamID, slacktest.DefaultAppID, f.pace.Interval, f.pace.Burst) + f.orgsYAML()
	}, f.env()...)
	f.replicas = append(f.replicas, r)
	return r
}

// orgsYAML is every org's block: the same directory settings on its own
// subtree, its own approval channel, one ConnectWise.
func (f *fleet) orgsYAML() string {
	var b strings.Builder
	for _, o := range f.orgs {
		fmt.Fprintf(&b, `  - id: %s
    name: Org %s
    directory:
      kind: ad
      url: %q
      ca_file: %q
      bind_dn: %q
      bind_password_env: FLEET_BIND_PASSWORD
      base_dn: %q
      intentional_lock_group: %q
      dial_timeout: 3s
      op_timeout: 5s%s
    slack: { channels: [%s], approval_channel: %s, technicians: [%s], approvers: [SLEADS] }
    psa:
      kind: connectwise
      company_id: "250"
      connectwise: { base_url: %q, company: msp, public_key_env: FLEET_CW_PUBLIC, private_key_env: FLEET_CW_PRIVATE, client_id: 5f0c0ab4-1111-4e2b-9c8f-0123456789ab, board_id: 12, status_id: 1, closed_status_id: 7 }
`, o.id, o.id, f.lab.URL, f.lab.CAFile, f.lab.BotDN, o.base, f.lab.IntentionalLockDN, f.extra, chHelp, o.channel, strings.Join(f.techs, ", "), f.cw.URL)
	}
	return b.String()
}

// env is what every replica (and `unlockbot audit` on its config) gets.
func (f *fleet) env() []string {
	return []string{"FLEET_SEAL_KEY=" + f.seal, "FLEET_BIND_PASSWORD=" + f.lab.BotPassword, "FLEET_CW_PUBLIC=pub-k", "FLEET_CW_PRIVATE=priv-k",
		"SLACK_BOT_TOKEN=" + e2eToken, "SLACK_SIGNING_SECRET=" + e2eSigning, "SLACK_API_URL=" + f.slack.APIURL()}
}

// post sends a signed Slack request to replica i, or, when that replica
// is gone, to the next live one (a user whose click failed clicks again).
func (f *fleet) post(i int, path string, form url.Values) (int, string, error) {
	var last error
	for k := range len(f.replicas) {
		r := f.replicas[(i+k)%len(f.replicas)]
		if r.dead() {
			continue
		}
		code, body, err := trySignedPost(r.url+path, form)
		if err == nil {
			return code, body, nil
		}
		last = err
	}
	return 0, "", fmt.Errorf("no replica answered: %w", last)
}

// accepted: Slack's answer to a submission says it was taken, at once
// (the modal clears) or while its card still waits for the channel's pace
// ("still being processed": the card follows).
func accepted(code int, body string) bool {
	return code == 200 && (strings.Contains(body, `"response_action":"clear"`) || strings.Contains(body, "still being processed"))
}

// waitCards waits until n approval cards are in the orgs' channels (a
// storm's cards come at the channel's pace, after the submissions' answers).
func (f *fleet) waitCards(t *testing.T, n int, within time.Duration) []card {
	t.Helper()
	start := time.Now()
	for {
		cards := f.cards(t)
		if len(cards) >= n {
			if len(cards) > n {
				t.Fatalf("%d approval cards for %d submissions", len(cards), n)
			}
			return cards
		}
		if time.Since(start) > within {
			t.Fatalf("%d approval cards after %v, want %d", len(cards), within, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cards lists every approval card in the orgs' channels with the request
// id on its Approve button (read before anyone decides).
func (f *fleet) cards(t *testing.T) []card {
	t.Helper()
	channels := map[string]bool{}
	for _, o := range f.orgs {
		channels[o.channel] = true
	}
	var out []card
	for _, m := range f.slack.Messages() {
		raw, _ := json.Marshal(map[string]any{"blocks": m.Blocks})
		if !channels[m.Channel] || m.ThreadTS != "" || !strings.Contains(string(raw), `"action_id":"unlockbot.approve"`) {
			continue // a thread reply, or an alert beside the cards
		}
		out = append(out, card{m.Channel, m.TS, requestIDIn(t, string(raw))})
	}
	return out
}

// done counts the cards that show their outcome.
func (f *fleet) done(cards []card) int {
	n := 0
	for _, c := range cards {
		if m, ok := f.slack.Message(c.channel, c.ts); ok && cardDone(m.Text, m.Blocks) {
			n++
		}
	}
	return n
}

// waitDone waits until every card shows its outcome, or fails the test
// at the deadline with the end of each replica's log.
func (f *fleet) waitDone(t *testing.T, cards []card, within time.Duration) {
	t.Helper()
	start := time.Now()
	for f.done(cards) < len(cards) {
		if time.Since(start) > within {
			var logs strings.Builder
			shown := 0
			for _, c := range cards {
				if m, ok := f.slack.Message(c.channel, c.ts); ok && !cardDone(m.Text, m.Blocks) && shown < 3 {
					shown++
					fmt.Fprintf(&logs, "not done: %s %s: %s\n", c.channel, c.id, m.Text)
					for i, r := range f.replicas {
						for _, l := range strings.Split(r.log(), "\n") {
							if strings.Contains(l, c.id) {
								fmt.Fprintf(&logs, "  replica %d: %s\n", i, l)
							}
						}
					}
				}
			}
			for i, r := range f.replicas {
				fmt.Fprintf(&logs, "--- replica %d ---\n%s\n", i, lastLines(r.log(), 30))
			}
			t.Fatalf("%d of %d requests not done after %v\n%s", len(cards)-f.done(cards), len(cards), within, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// cardDone: the approval card shows a finished reset.
func cardDone(text string, blocks []any) bool {
	return strings.Contains(text+fmt.Sprint(blocks), "Done:")
}

func lastLines(s string, n int) string {
	l := strings.Split(s, "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// parallel runs fn(i) for i in [0, n) on workers goroutines.
func parallel(n, workers int, fn func(i int)) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				fn(i)
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}
