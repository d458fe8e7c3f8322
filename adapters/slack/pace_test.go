package slack

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity"
)

// paceReplica is one unlockbot replica's Slack adapter on a shared store
// and the one fake Slack.
func paceReplica(t *testing.T, fake *slacktest.Server, st store.Store, iv time.Duration, burst int) *Adapter {
	t.Helper()
	svc, err := bot.New(bot.Config{Store: st, Sealer: bot.NewEphemeralSealer(), Audit: jsonl.New(&syncBuffer{}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{BotToken: identity.NewSecret(testToken), SigningSecret: identity.NewSecret(testSecret),
		APIURL: fake.APIURL(), Service: svc, Store: st, TeamID: teamID, AppID: appID, ChannelInterval: iv, ChannelBurst: burst})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.Drain(ctx); err != nil {
			t.Error(err)
		}
	})
	return a
}

func textCard(s string) bot.Card { return bot.Card{Title: s} }

// Two replicas on one Redis post 20 thread replies each, as fast as they
// are handed in, into one channel: together they keep to the channel's
// rate, Slack refuses none, and each replica's replies land in its order.
func TestTwoReplicasShareTheChannelPace(t *testing.T) {
	st := storetest.NewRedisStore(t)
	const iv, n = 100 * time.Millisecond, 20
	fake := slacktest.New(t, testToken)
	fake.LimitChannels(slacktest.ChannelLimit{Interval: iv, Burst: 3})
	replicas := []*Adapter{paceReplica(t, fake, st, iv, 2), paceReplica(t, fake, st, iv, 2)}
	card, err := replicas[0].PostApproval(t.Context(), chApprovals, textCard("card"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for r, a := range replicas {
		wg.Go(func() {
			var each sync.WaitGroup
			for i := range n {
				each.Go(func() {
					if err := a.ReplyInThread(context.Background(), card, textCard(fmt.Sprintf("r%d-%02d", r, i))); err != nil {
						t.Error(err)
					}
				})
				time.Sleep(2 * time.Millisecond) // handed in in order
			}
			each.Wait()
		})
	}
	wg.Wait()
	for _, a := range replicas {
		if err := a.Drain(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start)
	if r := fake.Rejected(); len(r) != 0 {
		t.Fatalf("Slack refused %d calls: the replicas went over the channel's rate", len(r))
	}
	var got [2][]string
	for _, c := range fake.Calls("chat.postMessage") {
		if c.Str("thread_ts") == card.ID {
			var r int
			fmt.Sscanf(c.Str("text"), "r%d-", &r)
			got[r] = append(got[r], c.Str("text"))
		}
	}
	for r := range got {
		want := make([]string, n)
		for i := range want {
			want[i] = fmt.Sprintf("r%d-%02d", r, i)
		}
		if fmt.Sprint(got[r]) != fmt.Sprint(want) {
			t.Fatalf("replica %d's replies landed as %v, want all %d in order", r, got[r], n)
		}
	}
	stats := fake.Stats(chApprovals, time.Second)
	if max := 3 + int(time.Second/iv); stats.Peak > max {
		t.Fatalf("peak %d calls in a second, the limit allows %d", stats.Peak, max)
	}
	// One replica alone may post 2n in n·iv; shared, they need 2n·iv less
	// the burst.
	if min := time.Duration(2*n-3) * iv; took < min {
		t.Fatalf("%d replies took %v: faster than one channel allows (%v), so the pace was not shared", 2*n, took, min)
	}
	t.Logf("%d replies from 2 replicas at 1/%v: %v, peak %d/s, %d refused", 2*n, iv, took.Round(time.Millisecond), stats.Peak, len(fake.Rejected()))
}

// Updates of one card that wait for the channel collapse into the newest;
// a reply among them is still sent.
func TestCardUpdatesCoalesce(t *testing.T) {
	const iv = 200 * time.Millisecond
	fake := slacktest.New(t, testToken)
	fake.LimitChannels(slacktest.ChannelLimit{Interval: iv, Burst: 2})
	a := paceReplica(t, fake, storetest.NewRedisStore(t), iv, 1)
	card, err := a.PostApproval(t.Context(), chApprovals, textCard("v-card"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	const updates = 10
	for i := range updates {
		wg.Go(func() {
			if err := a.UpdateApproval(context.Background(), card, textCard(fmt.Sprintf("v%d", i))); err != nil {
				t.Error(err)
			}
		})
		time.Sleep(3 * time.Millisecond)
	}
	if err := a.ReplyInThread(t.Context(), card, textCard("progress")); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	ups := fake.Calls("chat.update")
	if len(ups) >= updates/2 {
		t.Fatalf("%d chat.update calls for %d updates handed in within a slot", len(ups), updates)
	}
	if m, _ := fake.Message(chApprovals, card.ID); m.Text != "v9" {
		t.Fatalf("the card reads %q, want the last update v9", m.Text)
	}
	if n := len(fake.Calls("chat.postMessage")); n != 2 || len(fake.Rejected()) != 0 {
		t.Fatalf("%d posts (want the card and the reply), %d refused", n, len(fake.Rejected()))
	}
	t.Logf("%d updates of one card: %d chat.update calls (%d saved)", updates, len(ups), updates-len(ups))
}

// A 429 with Retry-After: 3 holds the channel for both replicas: the one
// told retries after 3 s, and the other, told nothing, waits as long.
func TestRetryAfterHoldsBothReplicas(t *testing.T) {
	st := storetest.NewRedisStore(t)
	fake := slacktest.New(t, testToken)
	a, b := paceReplica(t, fake, st, 10*time.Millisecond, 3), paceReplica(t, fake, st, 10*time.Millisecond, 3)
	fake.RateLimitOnce("chat.postMessage", 3)
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := a.PostApproval(context.Background(), chApprovals, textCard("a"))
		done <- err
	}()
	for len(fake.Calls("chat.postMessage")) == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // the 429 is back at a
	if _, err := b.PostApproval(t.Context(), chApprovals, textCard("b")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls("chat.postMessage")
	if len(calls) != 3 {
		t.Fatalf("%d posts, want the 429, a's retry and b's", len(calls))
	}
	for _, c := range calls[1:] {
		if d := c.At.Sub(start); d < 3*time.Second-50*time.Millisecond {
			t.Fatalf("%s posted %v after the 429 with Retry-After: 3", c.Str("text"), d)
		}
	}
}

// A card whose caller cannot wait for the channel is not posted late
// (its reference would be lost): the caller is told to try again.
func TestCardPastItsDeadlineIsWithdrawn(t *testing.T) {
	fake := slacktest.New(t, testToken)
	a := paceReplica(t, fake, storetest.NewRedisStore(t), time.Second, 1)
	if _, err := a.PostApproval(t.Context(), chApprovals, textCard("first")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := a.PostApproval(ctx, chApprovals, textCard("late"))
	if err == nil || !strings.Contains(bot.SafeMessage(err), "rate-limiting") {
		t.Fatalf("err = %v (%q), want the rate-limit sentence", err, bot.SafeMessage(err))
	}
	if err := a.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Calls("chat.postMessage")); n != 1 {
		t.Fatalf("%d posts, want only the first: the withdrawn card was posted", n)
	}
}
