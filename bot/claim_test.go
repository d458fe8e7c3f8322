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

// TestAClaimFromAStaleCopyFindsTheNewerOne: if another replica takes the
// request between the approval's save and the claim, the claim's swap on
// the copy in hand conflicts, it reads the record again and stands back.
func TestAClaimFromAStaleCopyFindsTheNewerOne(t *testing.T) {
	h := newHarness(t, nil)
	svc, other := h.replica(h.st), h.replica(h.st)
	var raced *Request
	hook := cardHook{fakeChat: h.chat}
	svc.SetNotifier("test", &hook)
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	hook.onUpdate = func() {
		hook.onUpdate = nil
		raced, _, err = other.claim(context.Background(), r.ID, nil)
		if err != nil {
			t.Errorf("the other replica's claim: %v", err)
		}
	}
	_, err = svc.Approve(context.Background(), r.ID, approver)
	if KindOf(err) != KindConflict || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("a claim behind another replica's: %v", err)
	}
	got := h.request(r.ID)
	if raced == nil || got.Attempts != 1 || got.version != raced.version || h.dir.Calls.SetPassword != 0 {
		t.Fatalf("stored attempt %d v%d after the race; the other's claim %+v; %d writes", got.Attempts, got.version, raced, h.dir.Calls.SetPassword)
	}
}
