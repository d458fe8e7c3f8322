package bot

import (
	"context"
	"errors"
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
	onLookup, onWrite, onVerify func()
}

func (d hookedDir) Verify(ctx context.Context, a identity.Account, pw identity.Secret, temporary bool) (identity.Verification, error) {
	if d.onVerify != nil {
		d.onVerify()
	}
	return d.Directory.Verify(ctx, a, pw, temporary)
}

func (d hookedDir) Unlock(ctx context.Context, a identity.Account) error {
	if d.onWrite != nil {
		d.onWrite()
	}
	return d.Directory.Unlock(ctx, a)
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

// A break glass, created with its write's intent armed (armWrite), whose
// try stopped before the write (the directory slot's store call failed)
// takes the intent back: the failure's save holds none, and the Retry
// writes once without first asking whether a write happened (on a
// directory without a password stamp that question is a bind with the
// new password, a bad password against the user).
func TestATryStoppedBeforeTheWriteLeavesNoIntent(t *testing.T) {
	h := newHarness(t, nil)
	h.org.Directory = noStamp{h.dir}
	h.org.MaxConcurrentWrites = 1 // the write takes a slot in the store
	flaky := newFlaky(h.st)
	svc := h.replica(flaky)
	flaky.fail["Reserve:dirslots:"] = errors.New("redis: connection reset")
	got, err := breakGlassOn(svc, "alice", "Typed-Passw0rd-Ahead!")
	if err == nil || got == nil || got.State != StateFailed || !got.Retryable {
		t.Fatalf("break glass with the slot's store call failing: %v %+v", err, got)
	}
	delete(flaky.fail, "Reserve:dirslots:")
	if stored := h.request(got.ID); stored.Steps.WriteIntent {
		t.Fatalf("the failure's save keeps the intent of a write that never started: %+v", stored.Steps)
	}
	verifies := h.dir.Counts().Verify
	if got, err = svc.Retry(context.Background(), got.ID, approver); err != nil || got.State != StateDone {
		t.Fatalf("retry: %v", err)
	}
	if c := h.dir.Counts(); c.SetPassword != 1 || c.Verify-verifies != 1 {
		t.Fatalf("retry: %d writes, %d binds; want 1 write and only the read-back's bind", c.SetPassword, c.Verify-verifies)
	}
}
