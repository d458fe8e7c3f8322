package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

// hookedDir runs a hook as each Lookup starts and as each SetPassword
// starts, to see where the flow stands at those moments.
type hookedDir struct {
	identity.Directory
	onLookup, onWrite func()
}

func (d hookedDir) Lookup(ctx context.Context, name string) (identity.Account, error) {
	if d.onLookup != nil {
		d.onLookup()
	}
	return d.Directory.Lookup(ctx, name)
}

func (d hookedDir) SetPassword(ctx context.Context, a identity.Account, c identity.PasswordChange) error {
	if d.onWrite != nil {
		d.onWrite()
	}
	return d.Directory.SetPassword(ctx, a, c)
}

// gatedSwaps holds the swap of a request's record until gate is closed,
// failing the test if that takes long: a save that must not come before
// something else has started.
type gatedSwaps struct {
	store.Store
	t    *testing.T
	gate chan struct{}
}

func (s gatedSwaps) CompareAndSwap(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) (store.Record, error) {
	if s.gate != nil && strings.HasPrefix(key, "req:") {
		select {
		case <-s.gate:
		case <-time.After(5 * time.Second):
			s.t.Error("the approval's save did not wait for the account's read: the read never started")
		}
	}
	return s.Store.CompareAndSwap(ctx, key, version, value, ttl)
}

// The approver's click starts the account's read before its save: the
// save is held until the read has begun, and the reset still completes.
func TestApprovalReadsTheAccountBesideItsSave(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	started := make(chan struct{})
	h.org.Directory = hookedDir{Directory: h.dir, onLookup: func() {
		select {
		case <-started:
		default:
			close(started)
		}
	}}
	svc := h.replica(gatedSwaps{Store: h.st, t: t, gate: started})
	lookups := h.dir.Counts().Lookup
	got, err := svc.Approve(context.Background(), r.ID, approver)
	if err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	if n := h.dir.Counts().Lookup - lookups; n != 1 {
		t.Fatalf("%d reads of the account for the approval; want the one begun with the click", n)
	}
}

// A click that does not count (not an approver, the requester) reads
// nothing from the directory.
func TestAClickThatDoesNotCountReadsNothing(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	lookups := h.dir.Counts().Lookup
	for _, who := range []Actor{tech, {Platform: "test", ID: "U9"}} {
		if _, err := h.svc.Approve(context.Background(), r.ID, who); err == nil {
			t.Fatalf("%s approved", who.Key())
		}
	}
	if n := h.dir.Counts().Lookup - lookups; n != 0 {
		t.Fatalf("%d directory reads for clicks that did not count", n)
	}
}

// The approval's save carries the write's intent: between it and the
// write no other save of the request is made, and the version the write
// goes out under already holds the intent and the password stamp.
func TestApprovalSaveCarriesTheWriteIntent(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	st := &swaps{Store: h.st, prefix: "req:"}
	var atWrite *Request
	var savesBefore int32
	h.org.Directory = hookedDir{Directory: h.dir, onWrite: func() {
		savesBefore = st.n.Load()
		atWrite = h.request(r.ID)
	}}
	svc := h.replica(st)
	if got, err := svc.Approve(context.Background(), r.ID, approver); err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	if savesBefore != 1 {
		t.Fatalf("%d saves of the request before the write; want 1 (the approval, with the claim and the intent)", savesBefore)
	}
	if !atWrite.Steps.WriteIntent || atWrite.Steps.WriteStamp != r.Account.Stamp || !atWrite.Steps.WriteUnlocks {
		t.Fatalf("the version the write went out under: %+v", atWrite.Steps)
	}
}

// The read for the write shows the account no longer locked (its lockout
// ran out while the request waited): the intent armed with the
// submission's view is saved again with the read's before the write.
func TestAnArmedIntentTheReadContradictsIsSavedAgain(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	u, _ := h.dir.User("alice")
	u.Lock = identity.LockState{}
	h.dir.Put(u)
	var atWrite *Request
	h.org.Directory = hookedDir{Directory: h.dir, onWrite: func() { atWrite = h.request(r.ID) }}
	if got, err := h.replica(h.st).Approve(context.Background(), r.ID, approver); err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	if atWrite == nil || !atWrite.Steps.WriteIntent || atWrite.Steps.WriteUnlocks {
		t.Fatalf("the version the write went out under should say the write unlocks nothing: %+v", atWrite)
	}
}

// A try that stopped before the write (the directory did not answer the
// read) takes its armed intent back: the failure's save holds none, and
// the Retry writes once without first asking whether a write happened
// (on a directory without a password stamp that question is a bind with
// the new password, a bad password against the user).
func TestATryStoppedBeforeTheWriteLeavesNoIntent(t *testing.T) {
	h := newHarness(t, nil)
	h.org.Directory = noStamp{h.dir}
	svc := h.replica(h.st)
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	h.dir.FailNext("Lookup", identity.ErrUnavailable)
	got, err := svc.Approve(context.Background(), r.ID, approver)
	if err == nil || got.State != StateFailed || !got.Retryable {
		t.Fatalf("approve with the directory down: %v %+v", err, got)
	}
	if stored := h.request(r.ID); stored.Steps.WriteIntent {
		t.Fatalf("the failure's save keeps the intent of a write that never started: %+v", stored.Steps)
	}
	verifies := h.dir.Counts().Verify
	if got, err = svc.Retry(context.Background(), r.ID, tech); err != nil || got.State != StateDone {
		t.Fatalf("retry: %v", err)
	}
	if c := h.dir.Counts(); c.SetPassword != 1 || c.Verify-verifies != 1 {
		t.Fatalf("retry: %d writes, %d binds; want 1 write and only the read-back's bind", c.SetPassword, c.Verify-verifies)
	}
}
