package jobqueue

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

// Running counts the jobs in a handler now: one while it runs, none once
// it has returned.
func TestRunningCountsJobs(t *testing.T) {
	c := client(t)
	stream := newStream(t, c)
	r := newRan()
	release := make(chan struct{})
	q := queue(t, c, stream, Options{}, func(_ context.Context, j bot.Job) { r.add(j); <-release })
	enqueue(t, q, job("r1"))
	r.wait(t, 1, 5*time.Second)
	if n := q.Running(); n != 1 {
		t.Fatalf("Running() = %d while the job runs, want 1", n)
	}
	close(release)
	settled(t, c, stream)
	for deadline := time.Now().Add(5 * time.Second); q.Running() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Running() = %d after the job ended, want 0", q.Running())
		}
	}
}

// A panic is logged as one, with the request, and a job that returns is
// not.
func TestPanicIsLogged(t *testing.T) {
	c := client(t)
	stream := newStream(t, c)
	log := &lockedLog{}
	r := newRan()
	q := queueLogged(t, c, stream, Options{}, zerolog.New(log), func(_ context.Context, j bot.Job) {
		r.add(j)
		if j.RequestID == "boom" {
			panic("boom")
		}
	})
	enqueue(t, q, job("fine"))
	enqueue(t, q, job("boom"))
	r.wait(t, 2, 5*time.Second)
	settled(t, c, stream)
	var panics []string
	for _, l := range logLines(t, log) {
		if l["message"] == "job panicked; dropped" {
			panics = append(panics, l["request"].(string))
		}
	}
	if len(panics) != 1 || panics[0] != "boom" {
		t.Fatalf("panics logged for %v, want only boom", panics)
	}
}

// A dropped entry is logged as dropped and acknowledged without a
// complaint; on a healthy Redis nothing else (the take-over look, the
// acknowledgement) logs a failure.
func TestDropIsLogged(t *testing.T) {
	c := client(t)
	stream := newStream(t, c)
	log := &lockedLog{}
	if err := c.XAdd(context.Background(), &redis.XAddArgs{Stream: stream, Values: []string{"job", "{not json"}}).Err(); err != nil {
		t.Fatal(err)
	}
	queueLogged(t, c, stream, Options{}, zerolog.New(log), func(context.Context, bot.Job) {})
	settled(t, c, stream)
	l := log.String()
	if !strings.Contains(l, `"event":"job.dropped"`) || strings.Contains(l, "could not") {
		t.Fatalf("log of a drop:\n%s", l)
	}
}

// A job that another replica took over while it ran here (this one
// stalled) is not acknowledged when it ends here: the entry stays pending
// for its new owner, and the log says why.
func TestFinishedJobTakenOverStaysWithNewOwner(t *testing.T) {
	c := client(t)
	stream := newStream(t, c)
	log := &lockedLog{}
	r := newRan()
	release := make(chan struct{})
	q := queueLogged(t, c, stream, Options{Consumer: "stalled"}, zerolog.New(log), func(_ context.Context, j bot.Job) { r.add(j); <-release })
	enqueue(t, q, job("r1"))
	r.wait(t, 1, 5*time.Second)
	ctx := context.Background()
	p, err := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: DefaultGroup, Start: "-", End: "+", Count: 1}).Result()
	if err != nil || len(p) != 1 {
		t.Fatalf("pending %v %v", p, err)
	}
	id := p[0].ID
	if err := c.XClaim(ctx, &redis.XClaimArgs{Stream: stream, Group: DefaultGroup, Consumer: "other", Messages: []string{id}}).Err(); err != nil {
		t.Fatal(err)
	}
	close(release)
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(log.String(), "had been taken over"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no word of the take-over:\n%s", log.String())
		}
	}
	p, err = c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: DefaultGroup, Start: "-", End: "+", Count: 1}).Result()
	if err != nil || len(p) != 1 || p[0].ID != id || p[0].Consumer != "other" {
		t.Fatalf("after the stalled replica finished: pending %+v %v, want %s still with other", p, err, id)
	}
}

// A read that fails waits 100 ms, then twice as long each time; one that
// works resets the wait. The reader's user is denied XREADGROUP, allowed
// it again, then denied it once more.
func TestReadBackoff(t *testing.T) {
	admin := client(t)
	stream := newStream(t, admin)
	user, pw := storetest.ACLUser(t, admin, "test:jobqueue:")
	readgroup := func(rule string) {
		t.Helper()
		if err := admin.Do(context.Background(), "acl", "setuser", user, rule).Err(); err != nil {
			t.Fatal(err)
		}
	}
	opt := admin.(*redis.Client).Options()
	c := redis.NewClient(&redis.Options{Addr: opt.Addr, Username: user, Password: pw, DB: opt.DB, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	log := &lockedLog{}
	r := newRan()
	readgroup("-xreadgroup")
	q := queueLogged(t, c, stream, Options{}, zerolog.New(log), func(_ context.Context, j bot.Job) { r.add(j) })
	waits := func(n int) []float64 {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var got []float64
			for _, l := range logLines(t, log) {
				if v, ok := l["retry_in"].(float64); ok {
					got = append(got, v)
				}
			}
			if len(got) >= n {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d failed reads logged, want %d:\n%s", len(got), n, log.String())
			}
		}
	}
	if got := waits(3); got[0] != 100 || got[1] != 200 || got[2] != 400 {
		t.Fatalf("waits after failed reads %v ms, want 100, 200, 400", got)
	}
	readgroup("+xreadgroup")
	enqueue(t, q, job("r1"))
	r.wait(t, 1, 10*time.Second)
	n := len(waits(3))
	readgroup("-xreadgroup")
	if got := waits(n + 1); got[n] != 100 {
		t.Fatalf("first wait after a read worked again: %v ms, want 100 (all: %v)", got[n], got)
	}
}

// logLines decodes the JSON lines logged so far.
func logLines(t *testing.T, l *lockedLog) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	for sc.Scan() {
		m := map[string]any{}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}
