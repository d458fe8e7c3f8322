package bot

import (
	"context"
	"sync"
	"testing"
	"time"
)

// together is the harness's chat holding the thread's confirmation and the
// requester's message until both have arrived: sent one after the other,
// the first would wait out the timeout.
type together struct {
	*fakeChat
	mu      sync.Mutex
	arrived int
	both    chan struct{}
	late    bool
}

func (c *together) meet() {
	c.mu.Lock()
	if c.both == nil {
		c.mu.Unlock()
		return
	}
	c.arrived++
	if c.arrived == 2 {
		close(c.both)
	}
	c.mu.Unlock()
	select {
	case <-c.both:
	case <-time.After(5 * time.Second):
		c.mu.Lock()
		c.late = true
		c.mu.Unlock()
	}
}

func (c *together) ReplyInThread(ctx context.Context, ref MessageRef, card Card) error {
	c.meet()
	return c.fakeChat.ReplyInThread(ctx, ref, card)
}

func (c *together) Notify(ctx context.Context, to Actor, card Card) error {
	if to.Key() == tech.Key() {
		c.meet()
	}
	return c.fakeChat.Notify(ctx, to, card)
}

// TestTheConfirmationsGoOutTogether: the thread's confirmation and the
// requester's message wait on their platform calls side by side, and both
// are recorded sent.
func TestTheConfirmationsGoOutTogether(t *testing.T) {
	h := newHarness(t, nil)
	chat := &together{fakeChat: h.chat}
	svc := h.replica(h.st)
	svc.SetNotifier("test", chat)
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	chat.both = make(chan struct{})
	if got, err := svc.Approve(context.Background(), r.ID, approver); err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	if got := h.request(r.ID); chat.late || chat.arrived != 2 || !got.Steps.ThreadSent || !got.Steps.PrivateSent || !got.Steps.Notified {
		t.Fatalf("confirmations: %d arrived, one waited out the other: %t; steps %+v", chat.arrived, chat.late, got.Steps)
	}
}

// heldThread is the harness's chat whose thread reply waits until the
// requester's message is recorded in the store (a busy approval channel's
// pace): gave up says it waited 5 s in vain.
type heldThread struct {
	*fakeChat
	recorded func() bool
	gaveUp   bool
}

func (c *heldThread) ReplyInThread(ctx context.Context, ref MessageRef, card Card) error {
	deadline := time.Now().Add(5 * time.Second)
	for !c.recorded() {
		if time.Now().After(deadline) {
			c.gaveUp = true
			break
		}
		time.Sleep(time.Millisecond)
	}
	return c.fakeChat.ReplyInThread(ctx, ref, card)
}

// TestEachConfirmationIsRecordedAsItGoesOut: the requester's message is
// recorded as soon as the platform took it, not when the thread's reply,
// held by its channel's pace, is out too: a worker killed in between must
// not have sent it unrecorded (the reliability test found DMs sent twice).
func TestEachConfirmationIsRecordedAsItGoesOut(t *testing.T) {
	h := newHarness(t, nil)
	svc := h.replica(h.st)
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	chat := &heldThread{fakeChat: h.chat, recorded: func() bool { return h.request(r.ID).Steps.PrivateSent }}
	svc.SetNotifier("test", chat)
	if got, err := svc.Approve(context.Background(), r.ID, approver); err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	if got := h.request(r.ID); chat.gaveUp || !got.Steps.ThreadSent || !got.Steps.Notified {
		t.Fatalf("the DM's record waited for the thread reply (gave up: %t); steps %+v", chat.gaveUp, got.Steps)
	}
}
