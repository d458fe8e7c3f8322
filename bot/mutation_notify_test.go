package bot

import (
	"context"
	"testing"
	"time"
)

// A worker that loses the request just as the requester's message went
// out stops there: the save recording that message fails, so it neither
// goes on to the owner notice nor records the delivery; whoever holds the
// request now does (mutation testing found that save unguarded).
func TestSendDoneStopsWhenThePrivateMessageCannotBeRecorded(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	taken := false
	h.chat.onNotify = func(to Actor, _ Card) {
		if taken || !to.Same(tech) {
			return
		}
		taken = true
		// Another worker saves the request meanwhile, once the thread's
		// confirmation (sent side by side) is recorded.
		waitFor(t, func() bool { return h.request(r.ID).Steps.ThreadSent })
		other, err := h.svc.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.svc.repo.save(ctx, other); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	if !taken {
		t.Fatal("the requester was not told")
	}
	if n := auditCount(h, "request.delivered"); n != 0 {
		t.Fatalf("%d request.delivered records from a worker that lost the request:\n%s", n, h.audit.String())
	}
	got, _ := h.svc.Get(ctx, r.ID)
	if got.Steps.Notified || got.Steps.PrivateSent {
		t.Fatalf("the lost worker's record was saved: %+v", got.Steps)
	}
}

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5 s")
		}
	}
}

// threadHook is the harness's chat with a hook run as a thread reply goes
// out.
type threadHook struct {
	*fakeChat
	onThread func()
}

func (c threadHook) ReplyInThread(ctx context.Context, ref MessageRef, card Card) error {
	c.onThread()
	return c.fakeChat.ReplyInThread(ctx, ref, card)
}

// The same when only one confirmation was left for the sweeper: the one
// it sends is recorded before anything else happens, and a sweeper that
// loses the request then stops (mutation testing found each half of the
// "something was sent" test unguarded).
func TestSweptConfirmationIsRecordedBeforeTheRest(t *testing.T) {
	for _, left := range []string{"thread", "requester"} {
		t.Run(left, func(t *testing.T) {
			h := newHarness(t, nil)
			ctx := context.Background()
			r := h.mustSubmit("alice", "")
			if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
				t.Fatal(err)
			}
			got, _ := h.svc.Get(ctx, r.ID)
			got.Steps.Notified, got.Steps.NotifyTries = false, 0
			got.Steps.ThreadSent, got.Steps.PrivateSent = left != "thread", left != "requester"
			if err := h.svc.repo.save(ctx, got); err != nil {
				t.Fatal(err)
			}
			taken := false
			takeOver := func() {
				if taken {
					return
				}
				taken = true
				other, err := h.svc.Get(ctx, r.ID)
				if err == nil {
					err = h.svc.repo.save(ctx, other)
				}
				if err != nil {
					t.Error(err)
				}
			}
			if left == "thread" {
				h.svc.SetNotifier("test", threadHook{h.chat, takeOver})
			} else {
				h.chat.onNotify = func(Actor, Card) { takeOver() }
			}
			delivered := auditCount(h, "request.delivered")
			h.clock.add(3 * time.Minute)
			if _, err := h.svc.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			if !taken {
				t.Fatalf("the %s confirmation was not sent", left)
			}
			if n := auditCount(h, "request.delivered"); n != delivered {
				t.Fatalf("a sweeper that lost the request recorded the delivery (%d → %d):\n%s", delivered, n, h.audit.String())
			}
			if got, _ := h.svc.Get(ctx, r.ID); got.Steps.Notified {
				t.Fatal("the lost sweeper's record was saved")
			}
		})
	}
}
