package jobqueue

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot"
)

// The keeper's cadence: a quarter of the visibility timeout, so a running
// job is refreshed three times before anyone may take it; never slower than
// 5 s (the gauges) nor faster than 10 ms (a tiny timeout must not spin).
func TestTickCadence(t *testing.T) {
	for _, c := range []struct{ vis, want time.Duration }{
		{2 * time.Minute, 5 * time.Second},
		{time.Second, 250 * time.Millisecond},
		{20 * time.Millisecond, 10 * time.Millisecond},
	} {
		q := &Queue{o: Options{Visibility: c.vis}}
		if got := q.tick(); got != c.want {
			t.Errorf("visibility %s: keeper ticks every %s, want %s", c.vis, got, c.want)
		}
	}
}

// keep resets the idle time of every job running here, leaves their
// delivery counts alone, and never takes a job another replica owns: that
// one is reported as lost, by entry id.
func TestKeepRefreshesOnlyOwnJobs(t *testing.T) {
	c := client(t)
	stream := newStream(t, c)
	log := &lockedLog{}
	q, err := New(Options{Client: c, Stream: stream, Consumer: "self", Visibility: time.Minute, Log: zerolog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q.ensureGroup()
	read := func(consumer string, n int64) []redis.XMessage {
		t.Helper()
		s, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: DefaultGroup, Consumer: consumer, Streams: []string{stream, ">"}, Count: n, Block: -1}).Result()
		if err != nil || len(s) != 1 || len(s[0].Messages) != int(n) {
			t.Fatalf("read %d as %s: %v %v", n, consumer, s, err)
		}
		return s[0].Messages
	}
	for range 4 {
		enqueue(t, q, job("r"))
	}
	mine := read("self", 3) // more running here than the two fixed arguments
	theirs := read("other", 1)[0]
	for _, m := range append(mine, theirs) {
		q.inHand[m.ID] = &held{job: job("r"), n: 1}
	}
	const stale = 300 * time.Millisecond
	time.Sleep(stale)
	q.keep()

	idle := map[string]redis.XPendingExt{}
	p, err := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: DefaultGroup, Start: "-", End: "+", Count: 10}).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p {
		idle[e.ID] = e
	}
	for _, m := range mine {
		e := idle[m.ID]
		if e.Consumer != "self" || e.Idle >= stale || e.RetryCount != 1 {
			t.Errorf("own running job after keep: %+v, want refreshed (idle < %s), still ours, delivery count 1", e, stale)
		}
	}
	if e := idle[theirs.ID]; e.Consumer != "other" || e.Idle < stale {
		t.Errorf("another replica's job after keep: %+v, want left alone", e)
	}
	l := log.String()
	if !strings.Contains(l, theirs.ID) || !strings.Contains(l, "taken over by another replica") {
		t.Errorf("the lost job is not reported by id:\n%s", l)
	}
	if strings.Contains(l, "could not refresh") {
		t.Errorf("a refresh that worked logged a failure:\n%s", l)
	}
}

// A claim reply that cannot be read is skipped, never a panic: the reader
// runs the whole replica's intake.
func TestParseClaimedMalformed(t *testing.T) {
	for _, e := range []any{
		nil, "x", []any{"1-0", []any{}}, []any{"", []any{"job", "{}"}, int64(1)},
	} {
		if _, ok := parseClaimed(e); ok {
			t.Errorf("parseClaimed(%#v) accepted", e)
		}
	}
	c, ok := parseClaimed([]any{"1-0", []any{"job", "{}", "n", "2", "dangling"}, int64(3)})
	if !ok || c.m.ID != "1-0" || c.count != 3 || len(c.m.Values) != 2 || c.m.Values["job"] != "{}" || c.m.Values["n"] != "2" {
		t.Fatalf("parseClaimed = %+v, %v; want the two whole fields, the odd one dropped", c, ok)
	}
}

// Drain returns only once the reader has stopped, even when a blocking
// read was under way: nothing reads under this consumer's name afterwards
// (a job read then would sit pending here until the visibility timeout).
func TestDrainWaitsForTheReader(t *testing.T) {
	admin := client(t)
	stream := newStream(t, admin)
	// A client of its own, named, so CLIENT LIST shows when its read blocks.
	name := "jobqueue-test-" + rand.Text()
	opt := admin.(*redis.Client).Options()
	c := redis.NewClient(&redis.Options{Addr: opt.Addr, Username: opt.Username, Password: opt.Password, DB: opt.DB, ClientName: name})
	t.Cleanup(func() { c.Close() })
	q := queue(t, c, stream, Options{Consumer: "reader"}, func(context.Context, bot.Job) {})
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if blockedRead(t, admin, name) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the reader never blocked in a read")
		}
	}
	if err := q.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-q.readDone:
	default:
		t.Fatal("Drain returned while the reader was still reading")
	}
}

// blockedRead reports whether a connection named name is blocked in
// XREADGROUP.
func blockedRead(t *testing.T, c redis.UniversalClient, name string) bool {
	t.Helper()
	list, err := c.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(list, "\n") {
		f := strings.Fields(l)
		if slices.Contains(f, "name="+name) && slices.Contains(f, "cmd=xreadgroup") && slices.ContainsFunc(f, func(s string) bool {
			return strings.HasPrefix(s, "flags=") && strings.Contains(s, "b")
		}) {
			return true
		}
	}
	return false
}
