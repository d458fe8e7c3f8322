package outbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
)

// wire records what reached the platform, in order, with the time.
type wire struct {
	mu    sync.Mutex
	sent  []string
	at    []time.Time
	gate  chan struct{} // when set, the first send waits for it
	limit map[string]time.Duration
}

func (w *wire) send(text string) func(context.Context) error {
	return func(ctx context.Context) error {
		w.mu.Lock()
		gate := w.gate
		w.gate = nil
		d := w.limit[text]
		delete(w.limit, text)
		w.mu.Unlock()
		if gate != nil {
			<-gate
		}
		if d > 0 {
			return limited(d)
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		w.sent = append(w.sent, text)
		w.at = append(w.at, time.Now())
		return nil
	}
}

func (w *wire) got() ([]string, []time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.sent), slices.Clone(w.at)
}

type limited time.Duration

func (l limited) Error() string             { return "ratelimited" }
func (l limited) RetryAfter() time.Duration { return time.Duration(l) }

func newBox(t *testing.T, st store.Store, p store.Pacing, handoff time.Duration) *Outbox {
	t.Helper()
	o, err := New(Config{Store: st, Prefix: "pace:test:", Pacing: p, Handoff: handoff})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := o.Drain(ctx); err != nil {
			t.Error(err)
		}
	})
	return o
}

// Messages on a line go in order, one per interval after the burst;
// another line is not held up by it.
func TestPacedInOrder(t *testing.T) {
	const iv = 30 * time.Millisecond
	o := newBox(t, memstore.New(), store.Pacing{Interval: iv, Burst: 2}, time.Minute)
	w := &wire{}
	var wg sync.WaitGroup
	start := time.Now()
	for i := range 8 {
		wg.Go(func() {
			if err := o.Send(t.Context(), Msg{Line: "C1", Send: w.send(fmt.Sprint(i))}); err != nil {
				t.Error(err)
			}
		})
		time.Sleep(time.Millisecond) // hand them in in order
	}
	if err := o.Send(t.Context(), Msg{Line: "C2", Send: w.send("other")}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*iv {
		t.Fatalf("a message on an idle line took %v behind another line's queue", d)
	}
	wg.Wait()
	sent, at := w.got()
	var c1 []string
	var c1at []time.Time
	for i, s := range sent {
		if s != "other" {
			c1, c1at = append(c1, s), append(c1at, at[i])
		}
	}
	if fmt.Sprint(c1) != "[0 1 2 3 4 5 6 7]" {
		t.Fatalf("C1 got %v, want 0..7 in order", c1)
	}
	// 2 at once, then 6 more one interval apart: at least 6 intervals.
	if span := c1at[7].Sub(c1at[0]); span < 6*iv-5*time.Millisecond {
		t.Fatalf("8 messages spanned %v; the pace allows no less than %v", span, 6*iv)
	}
	if s := o.Stats(); s.Sent != 9 || s.Coalesced != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// Updates of one message waiting for a slot collapse into the newest;
// replies and posts between them are all sent, in order.
func TestUpdatesCoalesce(t *testing.T) {
	o := newBox(t, memstore.New(), store.Pacing{Interval: time.Millisecond}, time.Minute)
	gate := make(chan struct{})
	w := &wire{gate: gate}
	var wg sync.WaitGroup
	send := func(m Msg) {
		wg.Go(func() {
			if err := o.Send(t.Context(), m); err != nil {
				t.Error(err)
			}
		})
		time.Sleep(5 * time.Millisecond)
	}
	send(Msg{Line: "C", Send: w.send("card")}) // holds the line at the gate
	for i := range 5 {
		send(Msg{Line: "C", Coalesce: "ts1", Detach: true, Send: w.send(fmt.Sprintf("update%d", i))})
		if i == 2 {
			send(Msg{Line: "C", Send: w.send("reply")})
		}
	}
	send(Msg{Line: "C", Coalesce: "ts2", Detach: true, Send: w.send("other-card")})
	close(gate)
	wg.Wait()
	sent, _ := w.got()
	if fmt.Sprint(sent) != "[card update4 reply other-card]" {
		t.Fatalf("sent %v, want the card, the last update of ts1 where the first stood, the reply, ts2's update", sent)
	}
	if s := o.Stats(); s.Coalesced != 4 || s.Sent != 4 {
		t.Fatalf("stats %+v, want 4 updates folded, 4 sent", s)
	}
}

// A post whose caller cannot wait is withdrawn, not sent late; a detached
// message is handed off and still delivered.
func TestWithdrawAndHandoff(t *testing.T) {
	o := newBox(t, memstore.New(), store.Pacing{Interval: time.Millisecond}, 20*time.Millisecond)
	gate := make(chan struct{})
	w := &wire{gate: gate}
	go func() { _ = o.Send(context.Background(), Msg{Line: "C", Send: w.send("first")}) }()
	time.Sleep(5 * time.Millisecond)

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := o.Send(ctx, Msg{Line: "C", Send: w.send("post")}); !errors.Is(err, ErrWithdrawn) {
		t.Fatalf("post past its deadline: err = %v, want ErrWithdrawn", err)
	}
	began := time.Now()
	if err := o.Send(t.Context(), Msg{Line: "C", Detach: true, Send: w.send("reply")}); err != nil {
		t.Fatalf("detached: %v", err)
	}
	if d := time.Since(began); d > time.Second {
		t.Fatalf("the detached message kept its caller %v (handoff 20ms)", d)
	}
	close(gate)
	if err := o.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if sent, _ := w.got(); fmt.Sprint(sent) != "[first reply]" {
		t.Fatalf("sent %v, want first and the handed-off reply, not the withdrawn post", sent)
	}
	if s := o.Stats(); s.Withdrawn != 1 || s.HandedOff != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// A 429 is retried after its Retry-After, and the hold reaches another
// replica on the same store: its message waits too.
func TestRetryAfterHoldsEveryReplica(t *testing.T) {
	st := memstore.New()
	p := store.Pacing{Interval: time.Millisecond, Burst: 5}
	a, b := newBox(t, st, p, time.Minute), newBox(t, st, p, time.Minute)
	const hold = 300 * time.Millisecond
	w := &wire{limit: map[string]time.Duration{"a1": hold}}
	start := time.Now()
	errs := make(chan error, 1)
	go func() { errs <- a.Send(t.Context(), Msg{Line: "C", Send: w.send("a1")}) }()
	time.Sleep(50 * time.Millisecond) // a's 429 has come back
	if err := b.Send(t.Context(), Msg{Line: "C", Send: w.send("b1")}); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	sent, at := w.got()
	if len(sent) != 2 {
		t.Fatalf("sent %v", sent)
	}
	for i, s := range sent {
		if d := at[i].Sub(start); d < hold-5*time.Millisecond {
			t.Fatalf("%s went %v after the 429 with Retry-After %v", s, d, hold)
		}
	}
	if a.Stats().Retried != 1 {
		t.Fatalf("a: %+v", a.Stats())
	}
}

// brokenPace is a store whose pace does not answer.
type brokenPace struct{ store.Store }

func (brokenPace) Pace(context.Context, string, time.Time, store.Pacing) (time.Duration, error) {
	return 0, errors.New("redis: connection refused")
}

// Without the shared pace the line still goes, paced in this process.
func TestStoreDownPacesLocally(t *testing.T) {
	const iv = 20 * time.Millisecond
	o := newBox(t, brokenPace{memstore.New()}, store.Pacing{Interval: iv}, time.Minute)
	w := &wire{}
	for i := range 3 {
		if err := o.Send(t.Context(), Msg{Line: "C", Send: w.send(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	sent, at := w.got()
	if len(sent) != 3 || at[2].Sub(at[0]) < 2*iv-2*time.Millisecond {
		t.Fatalf("sent %v at %v: want 3, an interval apart", sent, at)
	}
}

// countingPace counts the store's pace calls and can hold them.
type countingPace struct {
	store.Store
	mu    sync.Mutex
	calls int
	hold  chan struct{} // when set, each call waits for it
}

func (c *countingPace) Pace(ctx context.Context, key string, now time.Time, p store.Pacing) (time.Duration, error) {
	c.mu.Lock()
	c.calls++
	hold := c.hold
	c.mu.Unlock()
	if hold != nil {
		<-hold
	}
	return c.Store.Pace(ctx, key, now, p)
}

func (c *countingPace) count() int { c.mu.Lock(); defer c.mu.Unlock(); return c.calls }

// TestExpectTakesTheSlotWhileTheMessageIsDrawn: the slot is asked for as
// soon as a message is announced, the message then uses that slot (one
// pace call, not two), and an announced message that never comes gives
// the slot up without holding the line's sender.
func TestExpectTakesTheSlotWhileTheMessageIsDrawn(t *testing.T) {
	st := &countingPace{Store: memstore.New(), hold: make(chan struct{})}
	o := newBox(t, st, store.Pacing{Interval: time.Second, Burst: 3}, time.Minute)
	o.grace = time.Minute
	o.Expect("C1")
	for deadline := time.Now().Add(10 * time.Second); st.count() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no slot was asked for before the message existed")
		}
	}
	close(st.hold) // the store answers while the message is drawn
	w := &wire{}
	if err := o.Send(context.Background(), Msg{Line: "C1", Send: w.send("form")}); err != nil {
		t.Fatal(err)
	}
	if sent, _ := w.got(); !slices.Equal(sent, []string{"form"}) || st.count() != 1 {
		t.Fatalf("sent %v with %d pace calls; want the form on the announced slot (1 call)", sent, st.count())
	}

	o.grace = 20 * time.Millisecond
	before := st.count()
	o.Expect("C2")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.Drain(ctx); err != nil {
		t.Fatalf("an announced message that never came held the line: %v", err)
	}
	if n := st.count() - before; n != 1 {
		t.Fatalf("%d pace calls for an announcement without a message, want 1", n)
	}
	if sent, _ := w.got(); len(sent) != 1 {
		t.Fatalf("something was sent for an announcement alone: %v", sent)
	}
}
