package bot

import (
	"context"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// countsMeet makes the submit's two counting reads (the day's resets, the
// week's unlocks: Reserve with no limit) meet each other.
type countsMeet struct {
	store.Store
	m *meeting
}

func (s countsMeet) Reserve(ctx context.Context, key, member string, now time.Time, window time.Duration, limit int) (bool, int, error) {
	if member == "" && limit == 0 {
		s.m.arrive()
	}
	return s.Store.Reserve(ctx, key, member, now, window, limit)
}

// TestASubmitCountsResetsAndUnlocksAtOnce: the daily limit's count and the
// week's unlocks for the approver's card are asked of the store side by
// side, and both still reach the request.
func TestASubmitCountsResetsAndUnlocksAtOnce(t *testing.T) {
	h := newHarness(t, nil)
	first, err := submitOn(h.svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := h.svc.Approve(context.Background(), first.ID, approver); err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	m := newMeeting()
	r, err := submitOn(h.replica(countsMeet{h.st, m}), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !m.met() {
		t.Fatal("the submit counted the day's resets and the week's unlocks one after the other")
	}
	if r.Account.Facts.UnlocksThisWeek != 1 {
		t.Fatalf("unlocks this week on the card: %d, want 1", r.Account.Facts.UnlocksThisWeek)
	}
}
