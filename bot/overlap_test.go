package bot

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

// overlapGuard bounds how long a test below waits for two calls to meet:
// long enough never to fire when they run side by side, and only there so
// a flow that runs them one after the other fails instead of hanging.
const overlapGuard = 5 * time.Second

// meeting is two calls that each wait, at most overlapGuard, for the other
// to have started: met reports whether both were under way at once.
type meeting struct {
	mu     sync.Mutex
	ch     chan struct{}
	n      int
	missed bool
}

func newMeeting() *meeting { return &meeting{ch: make(chan struct{})} }

func (m *meeting) arrive() {
	m.mu.Lock()
	m.n++
	if m.n == 2 {
		close(m.ch)
	}
	m.mu.Unlock()
	select {
	case <-m.ch:
	case <-time.After(overlapGuard):
		m.mu.Lock()
		m.missed = true
		m.mu.Unlock()
	}
}

func (m *meeting) met() bool { m.mu.Lock(); defer m.mu.Unlock(); return m.n >= 2 && !m.missed }

// historyMeets makes the unlock's history entry (countUnlock's Reserve)
// meet whatever else calls m.
type historyMeets struct {
	store.Store
	m *meeting
}

func (s historyMeets) Reserve(ctx context.Context, key, member string, now time.Time, window time.Duration, limit int) (bool, int, error) {
	if strings.HasPrefix(key, "unlocks:") && limit == math.MaxInt32 {
		s.m.arrive()
	}
	return s.Store.Reserve(ctx, key, member, now, window, limit)
}

// verifyMeets makes the read-back meet whatever else calls m.
type verifyMeets struct {
	identity.Directory
	m *meeting
}

func (d verifyMeets) Verify(ctx context.Context, a identity.Account, pw identity.Secret, temporary bool) (identity.Verification, error) {
	d.m.arrive()
	return d.Directory.Verify(ctx, a, pw, temporary)
}

// TestTheUnlockHistoryIsWrittenDuringTheReadBack: the unlock's entry in
// the account's history does not hold back the directory's read-back; the
// two run side by side, and the reset ends with the entry written.
func TestTheUnlockHistoryIsWrittenDuringTheReadBack(t *testing.T) {
	h := newHarness(t, nil)
	m := newMeeting()
	h.org.Directory = verifyMeets{h.dir, m}
	svc := h.replica(historyMeets{h.st, m})
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := svc.Approve(context.Background(), r.ID, approver); err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	if !m.met() {
		t.Fatal("the read-back waited for the unlock's history entry (or the entry for it)")
	}
	if n, err := svc.unlocksThisWeek(context.Background(), h.org, "alice"); err != nil || n != 1 {
		t.Fatalf("unlock history after the reset: %d, %v; want 1", n, err)
	}
}
