package bot

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/unlockbot/unlockbot/bot/store"
)

// reads counts the request records a store is asked for.
type reads struct {
	store.Store
	n atomic.Int32
}

func (s *reads) Get(ctx context.Context, key string) (store.Record, error) {
	if strings.HasPrefix(key, "req:") {
		s.n.Add(1)
	}
	return s.Store.Get(ctx, key)
}

// cardHook is the harness's chat with a hook on card updates: the moment
// between an approval's save and its claim.
type cardHook struct {
	*fakeChat
	onUpdate func()
}

func (c cardHook) UpdateApproval(ctx context.Context, ref MessageRef, card Card) error {
	if c.onUpdate != nil {
		c.onUpdate()
	}
	return c.fakeChat.UpdateApproval(ctx, ref, card)
}

// TestAnApprovalIsClaimedFromTheCopyItSaved: the click's claim starts from
// the request as the approval saved it, so approve to done reads the
// record once (the decision's read).
func TestAnApprovalIsClaimedFromTheCopyItSaved(t *testing.T) {
	h := newHarness(t, nil)
	counted := &reads{Store: h.st}
	svc := h.replica(counted)
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	counted.n.Store(0)
	if got, err := svc.Approve(context.Background(), r.ID, approver); err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	if n := counted.n.Load(); n != 1 {
		t.Fatalf("approve to done read the request %d times, want 1", n)
	}
}

// TestAnApprovalIsItsExecutorsClaim: the approval's save claims the
// request for the approving replica, so another replica that tries to
// claim it between that save and the reset (here while the card is
// updated) finds it running and stands back; the reset runs once.
func TestAnApprovalIsItsExecutorsClaim(t *testing.T) {
	h := newHarness(t, nil)
	svc, other := h.replica(h.st), h.replica(h.st)
	hook := cardHook{fakeChat: h.chat}
	svc.SetNotifier("test", &hook)
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var otherErr error
	hook.onUpdate = func() {
		hook.onUpdate = nil
		_, _, otherErr = other.claim(context.Background(), r.ID)
	}
	got, err := svc.Approve(context.Background(), r.ID, approver)
	if err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	if KindOf(otherErr) != KindConflict || !strings.Contains(otherErr.Error(), "already running") {
		t.Fatalf("the other replica's claim between the approval and the reset: %v", otherErr)
	}
	if got.Attempts != 1 || h.dir.Calls.SetPassword != 1 {
		t.Fatalf("attempts %d, %d password writes; want one of each", got.Attempts, h.dir.Calls.SetPassword)
	}
}
