package bot

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// swaps counts the swaps of records whose key starts with prefix, and the
// deadlines written, except while held.
type swaps struct {
	store.Store
	prefix    string
	held      atomic.Bool
	n         atomic.Int32
	schedules atomic.Int32
}

func (s *swaps) Schedule(ctx context.Context, set, member string, at time.Time) (time.Time, error) {
	if !s.held.Load() {
		s.schedules.Add(1)
	}
	return s.Store.Schedule(ctx, set, member, at)
}

func (s *swaps) CompareAndSwap(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) (store.Record, error) {
	if !s.held.Load() && strings.HasPrefix(key, s.prefix) {
		s.n.Add(1)
	}
	return s.Store.CompareAndSwap(ctx, key, version, value, ttl)
}

// TestTheLastConfirmationIsRecordedByTheClosingSave: after the done save,
// the first confirmation out is recorded at once and the second by the
// save that ends the confirmations, which follows it: two saves, not three.
func TestTheLastConfirmationIsRecordedByTheClosingSave(t *testing.T) {
	h := newHarness(t, nil)
	st := &swaps{Store: h.st, prefix: "req:"}
	st.held.Store(true)
	svc := h.replica(st)
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	svc.afterStep = func(step string) error {
		if step == "audit" {
			st.held.Store(false)
		}
		return nil
	}
	got, err := svc.Approve(context.Background(), r.ID, approver)
	if err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	stored := h.request(r.ID)
	if !stored.Steps.Notified || !stored.Steps.ThreadSent || !stored.Steps.PrivateSent || auditCount(h, "request.delivered") != 1 {
		t.Fatalf("stored steps %+v", stored.Steps)
	}
	if n := st.n.Load(); n != 3 {
		t.Fatalf("%d request saves from the done save on; want 3 (done, the first confirmation, the closing save)", n)
	}
	if n := st.schedules.Load(); n != 0 {
		t.Fatalf("%d deadlines written from the done save on; want none (the closing save takes out the one it knows)", n)
	}
	h.mustNotBeScheduled(r.ID, "done and told")
}

// TestConfirmationsBeforeAnOwnerNoticeAreRecordedFirst: an owner notice
// sent after the confirmations can take long; the save that starts it
// records the last confirmation, so a crash during it sends neither again.
func TestConfirmationsBeforeAnOwnerNoticeAreRecordedFirst(t *testing.T) {
	h, m := ownerHarness(t, OwnerNotice{Email: true})
	var during *Request
	m.onSend = func() { during = h.request(h.lastID) }
	r := h.mustSubmit("alice", "")
	h.lastID = r.ID
	if got, err := h.svc.Approve(context.Background(), r.ID, approver); err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	if during == nil || !during.Steps.ThreadSent || !during.Steps.PrivateSent {
		t.Fatalf("stored while the owner was told: %+v", during)
	}
}

// TestADenialTheTrailRefusedIsNotReported: a denial saved but not in the
// trail is answered with the audit's error, and nobody is told yet (the
// sweeper tells it later, DenyPending).
func TestADenialTheTrailRefusedIsNotReported(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	h.failAudit = "request.denied"
	before := h.chat.count("dm")
	if _, err := h.svc.Deny(context.Background(), r.ID, approver, "not verified"); err == nil || !strings.Contains(SafeMessage(err), "audit trail") {
		t.Fatalf("deny with the trail refusing it: %v", err)
	}
	if got := h.request(r.ID); got.State != StateDenied || !got.Steps.DenyPending || h.chat.count("dm") != before {
		t.Fatalf("after the refused record: %s, deny pending %t, %d messages to the requester", got.State, got.Steps.DenyPending, h.chat.count("dm")-before)
	}
}
