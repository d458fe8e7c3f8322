package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/identity"
)

// heldRecord holds the trail's record of one event type until gate is
// closed, failing the test if that takes long: a record that must not come
// before something else has started.
type heldRecord struct {
	pickySink
	t    *testing.T
	typ  string
	gate chan struct{}
}

func (s heldRecord) Append(ctx context.Context, e audit.Event) error {
	if e.Type == s.typ {
		select {
		case <-s.gate:
		case <-time.After(5 * time.Second):
			s.t.Errorf("%s was recorded before the account's read-back began", e.Type)
		}
	}
	return s.pickySink.Append(ctx, e)
}

// The read-back starts as soon as the directory took the write, before
// the write's outcome is in the trail, and is the only read-back: for a
// reset and for an unlock alone.
func TestTheReadBackBeginsWithTheWrite(t *testing.T) {
	for _, c := range []struct {
		mode    Mode
		pw, typ string
	}{{ModeReset, "Typed-Passw0rd-Back!", "reset.password_set"}, {ModeUnlock, "", "unlock.unlocked"}} {
		t.Run(string(c.mode), func(t *testing.T) {
			h := newHarness(t, nil)
			read := make(chan struct{})
			h.org.Directory = hookedDir{Directory: h.dir, onVerify: func() { signal(read) }}
			svc := h.serviceOn(h.st, heldRecord{pickySink{h, jsonl.New(h.audit, nil)}, t, c.typ, read})
			sub := Submission{Requester: tech, OrgID: "acme", Account: "alice", Mode: c.mode, Reason: "Verified by call-back"}
			if c.pw != "" {
				sub.Password = identity.NewSecret(c.pw)
			}
			r, err := svc.BreakGlass(context.Background(), sub)
			if err != nil || r.State != StateDone {
				t.Fatalf("break glass: %v", err)
			}
			if n := h.dir.Counts().Verify; n != 1 {
				t.Fatalf("%d read-backs, want 1", n)
			}
			if !strings.Contains(h.audit.String(), `"type":"`+string(c.mode)+`.verified"`) {
				t.Fatal("the read-back's outcome is not in the trail")
			}
		})
	}
}

// A write the directory refused reads nothing back; one whose follow-up
// failed (the password set, the rest not) was taken, and is read back once.
func TestOnlyAWriteTheDirectoryTookIsReadBack(t *testing.T) {
	h := newHarness(t, nil)
	h.dir.FailNext("SetPassword", identity.E("test", identity.KindInvalid, "The password does not meet the domain's policy.", nil))
	if r, err := breakGlassOn(h.svc, "alice", "Typed-Passw0rd-Back!"); err == nil || r.State != StateFailed {
		t.Fatalf("a refused write: %v", err)
	}
	if n := h.dir.Counts().Verify; n != 0 {
		t.Fatalf("%d read-backs of a write the directory refused", n)
	}
	h.dir.PartialNext(identity.E("test.SetPassword", identity.KindPartial, "Sessions not revoked.", identity.ErrPartial))
	if r, err := breakGlassOn(h.svc, "bob", "Typed-Passw0rd-Back!"); err != nil || r.State != StateDone || r.Steps.Warning == "" {
		t.Fatalf("a partial write: %v", err)
	}
	if n := h.dir.Counts().Verify; n != 1 {
		t.Fatalf("a partial write: %d read-backs, want 1", n)
	}
}

// A try that stops between the write and its read-back (the write's record
// refused) keeps the org's directory slot until that read-back's bind
// ends: the slot bounds the binds on the directory too.
func TestAnAbandonedReadBackKeepsTheSlot(t *testing.T) {
	h := newHarness(t, nil)
	h.org.MaxConcurrentWrites = 1
	entered, hold := make(chan struct{}), make(chan struct{})
	h.org.Directory = hookedDir{Directory: h.dir, onVerify: func() { signal(entered); <-hold }}
	h.failAudit = "reset.password_set"
	svc := h.replica(h.st)
	done := make(chan error, 1)
	go func() { _, err := breakGlassOn(svc, "alice", "Typed-Passw0rd-Back!"); done <- err }()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("no read-back began after the write")
	}
	select {
	case err := <-done:
		t.Fatalf("the try ended while its read-back was still binding: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	ctx := context.Background()
	probe := func() bool {
		free, _, err := h.st.Reserve(ctx, "dirslots:acme", "probe", h.clock.now(), time.Minute, 1)
		if err != nil {
			t.Fatal(err)
		}
		if free {
			_ = h.st.Release(ctx, "dirslots:acme", "probe")
		}
		return free
	}
	if probe() {
		t.Fatal("the slot was given back while the read-back's bind was in flight")
	}
	close(hold)
	select {
	case err := <-done:
		if KindOf(err) != KindUnavailable {
			t.Fatalf("a try whose write's record was refused: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the try did not end once its read-back did")
	}
	if !probe() {
		t.Fatal("the slot was not given back after the read-back ended")
	}
}
