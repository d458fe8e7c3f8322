package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

// lookupMeets makes the directory's Lookup meet m, once m is set.
type lookupMeets struct {
	identity.Directory
	m **meeting
}

func (d lookupMeets) Lookup(ctx context.Context, name string) (identity.Account, error) {
	if *d.m != nil {
		(*d.m).arrive()
	}
	return d.Directory.Lookup(ctx, name)
}

// limitMeets makes a try's place under the daily limit meet m, once set.
type limitMeets struct {
	store.Store
	m **meeting
}

func (s limitMeets) Reserve(ctx context.Context, key, member string, now time.Time, window time.Duration, limit int) (bool, int, error) {
	if *s.m != nil && strings.HasPrefix(key, "limit:") && member != "" {
		(*s.m).arrive()
	}
	return s.Store.Reserve(ctx, key, member, now, window, limit)
}

// TestATryAsksTheStoreWhileTheAccountIsReadAgain: after an approval, the
// try's questions to the store (the daily limit, the password, the replay
// check) are asked while the directory reads the account again, and the
// reset still ends done.
func TestATryAsksTheStoreWhileTheAccountIsReadAgain(t *testing.T) {
	h := newHarness(t, nil)
	var m *meeting
	h.org.Directory = lookupMeets{h.dir, &m}
	svc := h.replica(limitMeets{h.st, &m})
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	m = newMeeting()
	if got, err := svc.Approve(context.Background(), r.ID, approver); err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	if !m.met() {
		t.Fatal("the try took its place under the daily limit only after the account was read again")
	}
}

// TestAnAccountRefusedOnTheSecondReadIsNotWrittenAndHoldsItsPlace: an
// account that turned privileged while the request waited is refused by
// the read after the approval, with nothing written, though the try's
// place under the daily limit was taken meanwhile (counted as a try).
func TestAnAccountRefusedOnTheSecondReadIsNotWrittenAndHoldsItsPlace(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	a, _ := h.dir.User("alice")
	a.ProtectedGroups = []string{"Domain Admins"}
	h.dir.Put(a)
	got, err := h.svc.Approve(context.Background(), r.ID, approver)
	if err == nil || got.State != StateFailed || got.Retryable {
		t.Fatalf("approve of a now-privileged account: %v %+v", err, got)
	}
	if n := h.dir.Calls.SetPassword + h.dir.Calls.Unlock; n != 0 {
		t.Fatalf("%d writes to a refused account", n)
	}
	if n, err := h.svc.resetsToday(context.Background(), h.org, "alice"); err != nil || n != 1 {
		t.Fatalf("the day's count after the refused try: %d, %v; want 1", n, err)
	}
}
