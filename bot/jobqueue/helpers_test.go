package jobqueue

import (
	"context"
	"crypto/rand"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

// client is a go-redis client on the test Redis (skipped without one
// locally, failed in CI: storetest.RedisURL).
func client(t testing.TB) redis.UniversalClient {
	t.Helper()
	opt, err := redis.ParseURL(storetest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// newStream names a stream no other test run uses and deletes it (with
// its group) when t ends.
func newStream(t testing.TB, c redis.UniversalClient) string {
	t.Helper()
	s := "test:jobqueue:" + rand.Text() + ":jobs"
	t.Cleanup(func() { c.Del(context.Background(), s) })
	return s
}

// ran records the jobs a handler was given, in order.
type ran struct {
	mu   sync.Mutex
	jobs []bot.Job
	by   map[string]int // request id → runs
	more chan struct{}  // a token per run
}

func newRan() *ran { return &ran{by: map[string]int{}, more: make(chan struct{}, 10000)} }

func (r *ran) add(j bot.Job) {
	r.mu.Lock()
	r.jobs = append(r.jobs, j)
	r.by[j.RequestID]++
	r.mu.Unlock()
	r.more <- struct{}{}
}

func (r *ran) count(id string) int { r.mu.Lock(); defer r.mu.Unlock(); return r.by[id] }
func (r *ran) total() int          { r.mu.Lock(); defer r.mu.Unlock(); return len(r.jobs) }

func (r *ran) last() bot.Job { r.mu.Lock(); defer r.mu.Unlock(); return r.jobs[len(r.jobs)-1] }

// wait waits for n more runs, or fails after d.
func (r *ran) wait(t testing.TB, n int, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for range n {
		select {
		case <-r.more:
		case <-deadline:
			t.Fatalf("only %d jobs ran within %s", r.total(), d)
		}
	}
}

// queue is a listening queue on stream with handler run; it is drained
// when t ends.
func queue(t testing.TB, c redis.UniversalClient, stream string, o Options, run func(context.Context, bot.Job)) *Queue {
	t.Helper()
	return queueLogged(t, c, stream, o, testLog(), run)
}

// queueLogged is queue logging to l.
func queueLogged(t testing.TB, c redis.UniversalClient, stream string, o Options, l zerolog.Logger, run func(context.Context, bot.Job)) *Queue {
	t.Helper()
	o.Client, o.Stream, o.Log = c, stream, l
	if o.Visibility == 0 {
		o.Visibility = time.Minute
	}
	q, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	q.Start(run)
	q.Listen()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = q.Drain(ctx)
	})
	return q
}

func job(id string) bot.Job {
	return bot.Job{Action: bot.ActionApprove, RequestID: id, Actor: bot.Actor{Platform: "slack", ID: "U2"}, Where: "C1"}
}

func enqueue(t testing.TB, q *Queue, j bot.Job) {
	t.Helper()
	if err := q.Enqueue(context.Background(), j); err != nil {
		t.Fatal(err)
	}
}

// settled waits until the stream holds no entry and nothing is pending:
// every job acknowledged and deleted.
func settled(t testing.TB, c redis.UniversalClient, stream string) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n := c.XLen(ctx, stream).Val()
		p, _ := c.XPending(ctx, stream, DefaultGroup).Result()
		if n == 0 && (p == nil || p.Count == 0) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream still holds %d entries (%v pending)", n, p)
		}
	}
}

// testLog is where the queues of a test log: stderr with
// JOBQUEUE_TEST_LOG=1, nowhere otherwise.
func testLog() zerolog.Logger {
	if os.Getenv("JOBQUEUE_TEST_LOG") != "" {
		return zerolog.New(os.Stderr)
	}
	return zerolog.Nop()
}
