package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/redisstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
	"github.com/unlockbot/unlockbot/psa/local"
)

// TestMemoryPendingRequests measures what pending requests cost
// (UNLOCKBOT_MEM=1; UNLOCKBOT_MEM_N, default 10,000): it fills a real
// Redis with that many requests waiting for approval, as the flow writes
// them, reports the bytes Redis holds per request (MEMORY USAGE of every
// key), then starts `unlockbot serve` on the same keys, lets its sweeper
// read them all, and reports the process's peak RSS. It asserts no size.
func TestMemoryPendingRequests(t *testing.T) {
	if os.Getenv("UNLOCKBOT_MEM") != "1" {
		t.Skip("set UNLOCKBOT_MEM=1 to measure pending requests in Redis and serve's memory")
	}
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("UNLOCKBOT_MEM_N")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	prefix := "mem:" + rand.Text()[:10] + ":"
	key := make([]byte, 32)
	rand.Read(key)
	rs, err := redisstore.New(redisstore.Options{URL: storetest.RedisURL(t), Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	t.Cleanup(func() { deletePrefix(t, rs, prefix) })
	sealer, _ := bot.NewSealer(key)
	const techs = 100
	users := make([]memory.User, n)
	for i := range users {
		name := fmt.Sprintf("user%05d", i)
		users[i] = memory.User{Account: identity.Account{Username: name, UPN: name + "@acme.test", Mail: name + "@acme.test",
			DisplayName: "User " + name, InScope: true, Lock: identity.LockState{Locked: true, LockedAt: time.Now().Add(-time.Hour), BadCount: 5}},
			Password: "Old-Passw0rd!"}
	}
	org := &bot.Org{ID: "acme", Name: "Acme", Directory: memory.New(users...), PSACompanyID: "acme",
		Tickets: local.New(store.Values{Store: rs}, "acme", sealer.SealBytes), Policy: bot.Policy{RequireApproval: true},
		Approvers: []string{"test:APPROVER"}, ApprovalChannel: map[string]string{"test": "C-approvals"}}
	for i := 0; i < techs; i++ {
		org.Technicians = append(org.Technicians, fmt.Sprintf("test:T%03d", i))
	}
	svc, err := bot.New(bot.Config{Store: rs, Sealer: sealer, Audit: jsonl.New(io.Discard, nil), Orgs: []*bot.Org{org},
		Log: zerolog.Nop(), Limits: bot.Limits{OpenPerTechnician: n/techs + 1, PerTechnicianPerHour: n/techs + 1}})
	if err != nil {
		t.Fatal(err)
	}
	svc.SetNotifier("test", quietChat{})
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, techs)
	for tch := 0; tch < techs; tch++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := bot.Actor{Platform: "test", ID: fmt.Sprintf("T%03d", tch), Name: "tech"}
			for i := tch; i < n; i += techs {
				// A typed password, the costlier case: it waits sealed beside the request.
				if _, err := svc.Submit(ctx, bot.Submission{Requester: a, OrgID: "acme", Account: users[i].Username,
					Password:  identity.NewSecret(fmt.Sprintf("Typed-Passw0rd-%05d!", i)),
					Temporary: true, Reason: "Verified by call-back to the HR number", Origin: "C-help"}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d requests submitted in %v", n, time.Since(start).Round(time.Millisecond))

	byKind, total := memoryByKind(t, rs, prefix)
	var kinds []string
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		t.Logf("  %-14s %6d keys, %7.0f bytes per request", k, byKind[k][0], float64(byKind[k][1])/float64(n))
	}
	t.Logf("Redis: %.0f bytes per pending request (MEMORY USAGE of every key, %d requests)", float64(total)/float64(n), n)

	base, cmd, _ := loadProcessOn(t, "", "recovery: { sweep_interval: 1s }", "", prefix, key)
	deadline := time.Now().Add(60 * time.Second)
	for {
		read := scrapeGauge(t, base, "unlockbot_sweep_requests_read")
		if read >= float64(n) || time.Now().After(deadline) {
			t.Logf("serve: its last sweep read %.0f requests in %.3f s", read, scrapeGauge(t, base, "unlockbot_sweep_seconds"))
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // a few more sweeps over all of them
	logUsage(t, cmd, n, "pending request")
}

// memoryByKind sums MEMORY USAGE over the keys under prefix, by the first
// word of the key after the prefix.
func memoryByKind(t *testing.T, rs *redisstore.Store, prefix string) (map[string][2]int64, int64) {
	t.Helper()
	ctx := context.Background()
	c := rs.Client()
	out := map[string][2]int64{}
	var total int64
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(keys); i += 500 {
		batch := keys[i:min(i+500, len(keys))]
		p := c.Pipeline()
		cmds := make([]interface{ Val() int64 }, len(batch))
		for j, k := range batch {
			cmds[j] = p.MemoryUsage(ctx, k)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for j, k := range batch {
			kind, _, _ := strings.Cut(strings.TrimPrefix(k, prefix), ":")
			v := out[kind]
			v[0]++
			v[1] += cmds[j].Val()
			out[kind] = v
			total += cmds[j].Val()
		}
	}
	return out, total
}

func deletePrefix(t *testing.T, rs *redisstore.Store, prefix string) {
	ctx := context.Background()
	iter := rs.Client().Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		rs.Client().Del(ctx, iter.Val())
	}
}

func scrapeGauge(t *testing.T, base, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(scrapeMetrics(t, base+"/metrics"), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// quietChat takes every message and says it landed.
type quietChat struct{}

func (quietChat) PostApproval(_ context.Context, ch string, _ bot.Card) (bot.MessageRef, error) {
	return bot.MessageRef{Channel: ch, ID: rand.Text()[:12]}, nil
}
func (quietChat) UpdateApproval(context.Context, bot.MessageRef, bot.Card) error { return nil }
func (quietChat) ReplyInThread(context.Context, bot.MessageRef, bot.Card) error  { return nil }
func (quietChat) Notify(context.Context, bot.Actor, bot.Card) error              { return nil }
func (quietChat) Whisper(context.Context, string, bot.Actor, string) error       { return nil }
