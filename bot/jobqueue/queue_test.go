package jobqueue

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/bot"
)

// A job enqueued runs once, with everything it carried, as a first
// delivery, and leaves nothing behind in the stream.
func TestEnqueueRunsAndAcks(t *testing.T) {
	c := client(t)
	stream := newStream(t, c)
	r := newRan()
	q := queue(t, c, stream, Options{}, func(_ context.Context, j bot.Job) { r.add(j) })
	want := bot.Job{Action: bot.ActionDeny, RequestID: "r1", Actor: bot.Actor{Platform: "teams", Tenant: "t1", ID: "29:x"}, Where: "19:conv", Reason: "not today"}
	enqueue(t, q, want)
	r.wait(t, 1, 5*time.Second)
	got := r.last()
	want.Delivery = 1
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("handler got %+v, want %+v", got, want)
	}
	settled(t, c, stream)
	if n := r.total(); n != 1 {
		t.Fatalf("%d runs, want 1", n)
	}
}

// Two replicas on one stream share the work: each job runs exactly once,
// and both run some.
func TestTwoConsumersShareJobs(t *testing.T) {
	c := client(t)
	stream := newStream(t, c)
	r := newRan()
	by := map[string]*ran{"a": newRan(), "b": newRan()}
	var qs []*Queue
	for _, name := range []string{"a", "b"} {
		qs = append(qs, queue(t, c, stream, Options{Consumer: name, Workers: 2}, func(_ context.Context, j bot.Job) {
			time.Sleep(2 * time.Millisecond)
			by[name].add(j)
			r.add(j)
		}))
	}
	const jobs = 200
	for i := range jobs {
		enqueue(t, qs[i%2], job(fmt.Sprintf("r%d", i)))
	}
	r.wait(t, jobs, 20*time.Second)
	settled(t, c, stream)
	for i := range jobs {
		if n := r.count(fmt.Sprintf("r%d", i)); n != 1 {
			t.Errorf("job r%d ran %d times", i, n)
		}
	}
	if by["a"].total() == 0 || by["b"].total() == 0 {
		t.Errorf("one replica ran everything: a %d, b %d", by["a"].total(), by["b"].total())
	}
}

// A job that runs five times longer than the visibility timeout is kept
// fresh by its replica, so another replica never takes it.
func TestLongJobIsNotStolen(t *testing.T) {
	c := client(t)
	stream := newStream(t, c)
	const vis = 300 * time.Millisecond
	long, other := newRan(), newRan()
	release := make(chan struct{})
	a := queue(t, c, stream, Options{Consumer: "a", Visibility: vis}, func(_ context.Context, j bot.Job) {
		long.add(j)
		<-release
	})
	enqueue(t, a, job("long"))
	long.wait(t, 1, 5*time.Second)
	queue(t, c, stream, Options{Consumer: "b", Visibility: vis}, func(_ context.Context, j bot.Job) { other.add(j) })
	time.Sleep(5 * vis)
	if n := other.total(); n != 0 {
		t.Fatalf("the other replica took a running job %d times", n)
	}
	close(release)
	settled(t, c, stream)
	if long.total() != 1 || other.total() != 0 {
		t.Fatalf("runs: %d here, %d on the other replica; want 1 and 0", long.total(), other.total())
	}
}

// At the shutdown deadline running jobs are asked to stop; one that stops
// and one that does not are both handed back at once: a second replica
// runs them within moments, not after the visibility timeout (a minute
// here), and knows they are later deliveries. A job that ends within the
// grace is acknowledged, not handed back.
func TestDrainHandsBackRunningJobs(t *testing.T) {
	c := client(t)
	stream := newStream(t, c)
	started, quick := newRan(), newRan()
	hold := make(chan struct{})
	defer close(hold)
	a := queue(t, c, stream, Options{Consumer: "a", HandBack: 200 * time.Millisecond}, func(ctx context.Context, j bot.Job) {
		started.add(j)
		switch j.RequestID {
		case "stuck":
			<-hold
			return
		case "polite":
			for !bot.Stopping(ctx) {
				time.Sleep(10 * time.Millisecond)
			}
			return
		}
		time.Sleep(300 * time.Millisecond)
		quick.add(j)
	})
	for _, id := range []string{"stuck", "polite", "quick"} {
		enqueue(t, a, job(id))
	}
	started.wait(t, 3, 5*time.Second)

	b := newRan()
	queue(t, c, stream, Options{Consumer: "b"}, func(_ context.Context, j bot.Job) { b.add(j) })
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := a.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Drain took %s with a 500 ms grace and 200 ms hand-back", took)
	}
	if quick.total() != 1 {
		t.Error("the job that could finish within the grace did not")
	}
	b.wait(t, 2, 3*time.Second)
	for _, id := range []string{"stuck", "polite"} {
		if b.count(id) != 1 {
			t.Errorf("the second replica ran %s %d times, want once", id, b.count(id))
		}
	}
	for _, j := range b.jobs {
		if j.Delivery != 2 {
			t.Errorf("the second replica got %s as delivery %d, want 2", j.RequestID, j.Delivery)
		}
	}
	settled(t, c, stream)
	if n := b.count("quick"); n != 0 {
		t.Errorf("the finished job ran again on the second replica (%d)", n)
	}
}

// Drain with nothing running returns at once and leaves the group.
func TestDrainIdleLeavesGroup(t *testing.T) {
	c := client(t)
	stream := newStream(t, c)
	q := queue(t, c, stream, Options{Consumer: "idle"}, func(context.Context, bot.Job) {})
	enqueue(t, q, job("r1"))
	settled(t, c, stream)
	if err := q.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	cs, err := c.XInfoConsumers(context.Background(), stream, DefaultGroup).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range cs {
		if x.Name == "idle" {
			t.Fatalf("drained consumer still in the group: %+v", x)
		}
	}
}

// Entries that must not run are acknowledged and dropped, not retried
// forever: one that is no job, and one delivered too often already.
func TestPoisonEntriesAreDropped(t *testing.T) {
	c := client(t)
	stream := newStream(t, c)
	ctx := context.Background()
	for _, v := range [][]string{
		{"job", "{not json"},
		{"other", "x"},
		{"job", `{"action":"unlockbot.approve","request":"r-tired"}`, "n", fmt.Sprint(DefaultMaxDeliveries)},
		// handed back after MaxDeliveries-1 deliveries: this one is its last, and runs
		{"job", `{"action":"unlockbot.approve","request":"r-last"}`, "n", fmt.Sprint(DefaultMaxDeliveries - 1)},
	} {
		if err := c.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: v}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	r := newRan()
	q := queue(t, c, stream, Options{}, func(_ context.Context, j bot.Job) { r.add(j) })
	enqueue(t, q, job("fine"))
	r.wait(t, 2, 5*time.Second)
	settled(t, c, stream)
	if n := r.total(); n != 2 || r.count("fine") != 1 || r.count("r-last") != 1 {
		t.Fatalf("handler ran %d jobs (%+v), want the good one and the one on its last delivery", n, r.jobs)
	}
	if d := q.Stats().Dropped; d != 3 {
		t.Errorf("dropped %d, want 3", d)
	}
}

// A handler that panics does not stop the replica, and its job is not
// handed out again.
func TestPanicIsContained(t *testing.T) {
	c := client(t)
	stream := newStream(t, c)
	r := newRan()
	q := queue(t, c, stream, Options{}, func(_ context.Context, j bot.Job) {
		r.add(j)
		if j.RequestID == "boom" {
			panic("boom")
		}
	})
	enqueue(t, q, job("boom"))
	enqueue(t, q, job("after"))
	r.wait(t, 2, 5*time.Second)
	settled(t, c, stream)
	if r.count("boom") != 1 || r.count("after") != 1 {
		t.Fatalf("runs %v", r.by)
	}
}

// The gauges see what waits in the stream.
func TestStatsSampleTheStream(t *testing.T) {
	c := client(t)
	stream := newStream(t, c)
	hold := make(chan struct{})
	defer close(hold)
	q := queue(t, c, stream, Options{Workers: 1, Visibility: 200 * time.Millisecond}, func(context.Context, bot.Job) { <-hold })
	for i := range 3 {
		enqueue(t, q, job(fmt.Sprint("r", i)))
	}
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if s := q.Stats(); s.Depth == 3 && s.Pending == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, want depth 3 with 1 pending (one worker, held)", q.Stats())
		}
	}
}
