package outbox

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
)

// An announced message goes out as soon as it is handed in, while the
// store's answer for its slot is still on the way; the slot is still
// taken, so the line's next message waits for that answer and for a slot
// of its own after it.
func TestAnnouncedMessageDoesNotWaitForTheStore(t *testing.T) {
	st := &countingPace{Store: memstore.New(), hold: make(chan struct{})}
	const iv = 300 * time.Millisecond
	o := newBox(t, st, store.Pacing{Interval: iv}, time.Minute)
	o.grace = time.Minute
	announced := time.Now()
	o.Expect("C1")
	w := &wire{}
	sent := make(chan error, 1)
	go func() { sent <- o.Send(context.Background(), Msg{Line: "C1", Send: w.send("form")}) }()
	select {
	case err := <-sent:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the announced message waited for the store's answer")
	}
	next := make(chan error, 1)
	go func() { next <- o.Send(context.Background(), Msg{Line: "C1", Send: w.send("next")}) }()
	time.Sleep(50 * time.Millisecond)
	if got, _ := w.got(); !slices.Equal(got, []string{"form"}) {
		t.Fatalf("sent %v before the store answered for the first slot; want only the form", got)
	}
	close(st.hold)
	if err := <-next; err != nil {
		t.Fatal(err)
	}
	got, at := w.got()
	if !slices.Equal(got, []string{"form", "next"}) || st.count() != 2 {
		t.Fatalf("sent %v with %d pace calls; want form then next, a slot each", got, st.count())
	}
	// Without a burst the second slot is one interval after the first,
	// which was asked for no earlier than the announcement.
	if at[1].Before(announced.Add(iv - 5*time.Millisecond)) {
		t.Fatalf("the next message went %v after the announcement; want it to wait for its own slot, %v after the first", at[1].Sub(announced), iv)
	}
}

// When the store's answer comes before the message and says the line is
// busy (another replica just sent), the announced message waits for its
// slot like any other.
func TestAnnouncedMessageWaitsForASlotTheStoreNamed(t *testing.T) {
	st := memstore.New()
	const iv = 300 * time.Millisecond
	p := store.Pacing{Interval: iv}
	o := newBox(t, st, p, time.Minute)
	o.grace = time.Minute
	// Another replica sent on the line a moment ago.
	if _, err := st.Pace(t.Context(), "pace:test:C1", time.Now(), p); err != nil {
		t.Fatal(err)
	}
	o.Expect("C1")
	time.Sleep(50 * time.Millisecond) // the store answers while the message is drawn
	w := &wire{}
	start := time.Now()
	if err := o.Send(context.Background(), Msg{Line: "C1", Send: w.send("form")}); err != nil {
		t.Fatal(err)
	}
	if _, at := w.got(); len(at) != 1 || at[0].Sub(start) < iv/2 {
		t.Fatalf("sent at %v after it was handed in; want it held for the busy line's slot (%v)", at, iv)
	}
}
