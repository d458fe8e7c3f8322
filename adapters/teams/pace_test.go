package teams_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/teams"
	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity"
)

// paceFake is the fake Teams with the approval channel.
func paceFake(t *testing.T) *teamstest.Server {
	fake := teamstest.New(t, teamstest.Options{})
	fake.AddChannel(chApprovals, teamID)
	return fake
}

// paceReplica is one unlockbot replica's Teams adapter on a shared store
// and the one fake Teams.
func paceReplica(t *testing.T, fake *teamstest.Server, st store.Store, iv time.Duration, burst int) *teams.Adapter {
	t.Helper()
	svc, err := bot.New(bot.Config{Store: st, Sealer: bot.NewEphemeralSealer(), Audit: jsonl.New(io.Discard, nil)})
	if err != nil {
		t.Fatal(err)
	}
	o := fake.Options()
	a, err := teams.New(teams.Config{
		AppID: o.AppID, AppPassword: identity.NewSecret(o.AppPassword), TenantID: o.TenantID,
		MetadataURL: fake.MetadataURL(), AuthorityURL: fake.AuthorityURL(),
		ServiceURLHosts: []string{"127.0.0.1"}, DefaultServiceURL: fake.ServiceURL(),
		Service: svc, Store: st, HTTPClient: fake.Client(),
		ConversationInterval: iv, ConversationBurst: burst,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return a
}

func titled(s string) bot.Card { return bot.Card{Title: s} }

// Two replicas on one Redis reply 20 times each, as fast as the replies
// are handed in, in one card's thread: together they keep to the
// channel's rate (the thread counts as its channel), Teams refuses none,
// and each replica's replies land in its order.
func TestTwoReplicasShareTheConversationPace(t *testing.T) {
	st := storetest.NewRedisStore(t)
	const iv, n = 100 * time.Millisecond, 20
	fake := paceFake(t)
	fake.LimitConversations(teamstest.ConversationLimit{Interval: iv, Burst: 3})
	replicas := []*teams.Adapter{paceReplica(t, fake, st, iv, 2), paceReplica(t, fake, st, iv, 2)}
	card, err := replicas[0].PostApproval(t.Context(), chApprovals, titled("card"))
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
					if err := a.ReplyInThread(context.Background(), card, titled(fmt.Sprintf("r%d-%02d", r, i))); err != nil {
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
		t.Fatalf("Teams refused %d calls (first %+v): the replicas went over the conversation's rate", len(r), r[0])
	}
	var got [2][]string
	for _, p := range fake.Activities(card.Channel) {
		var r int
		if _, err := fmt.Sscanf(p.Summary, "r%d-", &r); err == nil {
			got[r] = append(got[r], p.Summary)
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
	// One replica alone may send 2n in n·iv; shared, they need 2n·iv less
	// the burst.
	if min := time.Duration(2*n-3) * iv; took < min {
		t.Fatalf("%d replies took %v: faster than one conversation allows (%v), so the pace was not shared", 2*n, took, min)
	}
	t.Logf("%d replies from 2 replicas at 1/%v: %v, peak %d/s, %d refused", 2*n, iv, took.Round(time.Millisecond), stats.Peak, len(fake.Rejected()))
}

// Updates of one card that wait for the conversation collapse into the
// newest; a reply among them is still sent.
func TestCardUpdatesCoalesce(t *testing.T) {
	const iv = 200 * time.Millisecond
	fake := paceFake(t)
	fake.LimitConversations(teamstest.ConversationLimit{Interval: iv, Burst: 2})
	a := paceReplica(t, fake, storetest.NewRedisStore(t), iv, 1)
	card, err := a.PostApproval(t.Context(), chApprovals, titled("v-card"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	const updates = 10
	for i := range updates {
		wg.Go(func() {
			if err := a.UpdateApproval(context.Background(), card, titled(fmt.Sprintf("v%d", i))); err != nil {
				t.Error(err)
			}
		})
		time.Sleep(3 * time.Millisecond)
	}
	if err := a.ReplyInThread(t.Context(), card, titled("progress")); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := a.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls()
	if calls[teamstest.CallUpdate] >= updates/2 {
		t.Fatalf("%d update calls for %d updates handed in within a slot", calls[teamstest.CallUpdate], updates)
	}
	if p, _ := fake.Activity(card.Channel, card.ID); p.Summary != "v9" {
		t.Fatalf("the card reads %q, want the last update v9", p.Summary)
	}
	if calls[teamstest.CallCreate] != 1 || calls[teamstest.CallSend] != 1 || len(fake.Rejected()) != 0 {
		t.Fatalf("calls %v (want the card and the reply), %d refused", calls, len(fake.Rejected()))
	}
	t.Logf("%d updates of one card: %d update calls (%d saved)", updates, calls[teamstest.CallUpdate], updates-calls[teamstest.CallUpdate])
}

// A 429 with Retry-After: 3 holds the conversation for both replicas:
// the one told retries after 3 s, and the other, told nothing, waits as
// long.
func TestRetryAfterHoldsBothReplicas(t *testing.T) {
	st := storetest.NewRedisStore(t)
	fake := paceFake(t)
	a, b := paceReplica(t, fake, st, 10*time.Millisecond, 3), paceReplica(t, fake, st, 10*time.Millisecond, 3)
	fake.Throttle(1, 3*time.Second)
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := a.PostApproval(context.Background(), chApprovals, titled("a"))
		done <- err
	}()
	for fake.Calls()[teamstest.CallCreate] == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // the 429 is back at a
	if _, err := b.PostApproval(t.Context(), chApprovals, titled("b")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := fake.Calls()[teamstest.CallCreate]; n != 3 {
		t.Fatalf("%d thread posts, want the 429, a's retry and b's", n)
	}
	posted := fake.Activities(chApprovals)
	if len(posted) != 2 {
		t.Fatalf("%d cards in the channel, want a's and b's", len(posted))
	}
	for _, p := range posted {
		if d := p.At.Sub(start); d < 3*time.Second-50*time.Millisecond {
			t.Fatalf("%s posted %v after the 429 with Retry-After: 3", p.Summary, d)
		}
	}
}

// A card whose caller cannot wait for the channel is not posted late
// (its reference would be lost): the caller is told Teams is throttling.
func TestCardPastItsDeadlineIsWithdrawn(t *testing.T) {
	fake := paceFake(t)
	a := paceReplica(t, fake, storetest.NewRedisStore(t), time.Second, 1)
	if _, err := a.PostApproval(t.Context(), chApprovals, titled("first")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := a.PostApproval(ctx, chApprovals, titled("late"))
	var ae *teams.APIError
	if !errors.As(err, &ae) || ae.Code != teams.CodeThrottled {
		t.Fatalf("err = %v, want Throttled", err)
	}
	if err := a.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := fake.Calls()[teamstest.CallCreate]; n != 1 {
		t.Fatalf("%d thread posts, want only the first: the withdrawn card was posted", n)
	}
}

// The paced connector answers a 429 at once, however long Retry-After
// is, and carries the wait for the outbox; the plain one still sleeps.
func TestPacedConnectorReturns429AtOnce(t *testing.T) {
	r := newConnRig(t, nil)
	conv := r.s.Personal(connUser).ID
	r.s.Throttle(1, 30*time.Second)
	_, err := r.c.Paced().Send(t.Context(), r.s.ServiceURL(), conv, teams.Outgoing{Text: "hi"})
	var ae *teams.APIError
	if !errors.As(err, &ae) || ae.Code != teams.CodeThrottled || ae.RetryAfter() != 30*time.Second {
		t.Fatalf("err = %v, want Throttled with Retry-After 30s", err)
	}
	if got := r.slept(); len(got) != 0 {
		t.Fatalf("the paced connector slept %v", got)
	}
	r.s.Throttle(1, time.Second)
	if _, err := r.c.Send(t.Context(), r.s.ServiceURL(), conv, teams.Outgoing{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if got := r.slept(); len(got) != 1 || got[0] != time.Second {
		t.Fatalf("the plain connector slept %v, want [1s]", got)
	}
}
