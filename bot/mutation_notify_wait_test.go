package bot

import (
	"context"
	"testing"
	"time"
)

// ctxChat is the harness's chat noting the context each thread reply is
// sent under.
type ctxChat struct {
	*fakeChat
	seen func(context.Context)
}

func (c ctxChat) ReplyInThread(ctx context.Context, ref MessageRef, card Card) error {
	c.seen(ctx)
	return c.fakeChat.ReplyInThread(ctx, ref, card)
}

// Each confirmation is sent with a live context bounded by notifyWait: a
// platform waiting on its pace gives up by then and leaves the message to
// the sweeper, and never gets a context already over (the harness's chat
// ignores contexts, so mutation testing found a zero wait unseen).
func TestConfirmationIsSentWithinNotifyWait(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	sent := 0
	h.svc.SetNotifier("test", ctxChat{h.chat, func(c context.Context) {
		sent++
		dl, ok := c.Deadline()
		if err := c.Err(); err != nil || !ok || dl.After(time.Now().Add(notifyWait)) {
			t.Errorf("thread reply sent under a context ended (%v) or unbounded by %s (deadline %v, %t)", err, notifyWait, dl, ok)
		}
	}})
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	if sent != 1 {
		t.Fatalf("%d thread replies, want 1", sent)
	}
}
