package bot

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
)

// crashAfterEffect runs the reset on svc until the side effect named step
// has happened, then ends the worker before it records the outcome (the
// goroutine exits with nothing handled, as a killed process would).
func crashAfterEffect(t *testing.T, h *harness, svc *Service, id, step string) {
	t.Helper()
	svc.afterEffect = func(s string) error {
		if s == step {
			runtime.Goexit()
		}
		return nil
	}
	done := make(chan struct{})
	go func() { defer close(done); _, _ = svc.Approve(context.Background(), id, approver) }()
	<-done
	svc.afterEffect = nil
}

// takeOver lets the lease run out and has another replica finish the job.
func takeOver(t *testing.T, h *harness, id string) *Request {
	t.Helper()
	h.clock.add(2 * time.Minute)
	r, err := h.replica(h.st).Execute(context.Background(), id)
	if err != nil || r.State != StateDone {
		t.Fatalf("takeover: %v", err)
	}
	return r
}

func auditCount(h *harness, typ string) int {
	return strings.Count(h.audit.String(), `"type":"`+typ+`"`)
}

// A worker killed between the directory write and its record: the worker
// taking over sees the password stamp moved, records the write as
// recovered and does not write again. The trail has the intent (written
// before the write) and the write.
func TestCrashBetweenWriteAndRecordDoesNotWriteTwice(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		r := h.mustSubmit("alice", "")
		crashAfterEffect(t, h, h.svc, r.ID, "write")
		if got, _ := h.svc.Get(context.Background(), r.ID); !got.Steps.WriteIntent || got.Steps.PasswordSet {
			t.Fatalf("after the crash: %+v", got.Steps)
		}
		r = takeOver(t, h, r.ID)
		if h.dir.Calls.SetPassword != 1 || h.dir.Calls.Unlock != 1 {
			t.Fatalf("password written %d times, unlocked %d times; want 1 and 1", h.dir.Calls.SetPassword, h.dir.Calls.Unlock)
		}
		if !strings.Contains(strings.Join(r.Steps.Recovered, ","), "write") || !r.Steps.Unlocked {
			t.Fatalf("steps after takeover: %+v", r.Steps)
		}
		if auditCount(h, "reset.write_started") != 1 || auditCount(h, "reset.password_set") != 1 ||
			!strings.Contains(h.audit.String(), `"recovered":"true"`) {
			t.Fatalf("audit trail:\n%s", h.audit.String())
		}
		pw, _, err := h.svc.RevealPassword(context.Background(), r.ID, tech)
		if u, _ := h.dir.User("alice"); err != nil || pw.Reveal() != u.Password {
			t.Fatal("the password revealed after takeover is not the one in the directory")
		}
	})
}

// noStamp is a directory that does not expose a password stamp: the
// takeover must prove the write another way (a bind with the password).
type noStamp struct{ *memory.Directory }

func (d noStamp) Lookup(ctx context.Context, name string) (identity.Account, error) {
	a, err := d.Directory.Lookup(ctx, name)
	a.PasswordStamp = ""
	return a, err
}

func TestCrashBetweenWriteAndRecordWithoutAStamp(t *testing.T) {
	h := newHarness(t, nil)
	h.org.Directory = noStamp{h.dir}
	svc := h.replica(h.st)
	r, err := svc.Submit(context.Background(), Submission{Requester: tech, OrgID: "acme", Account: "alice", Reason: "Verified by call-back"})
	if err != nil {
		t.Fatal(err)
	}
	crashAfterEffect(t, h, svc, r.ID, "write")
	takeOver(t, h, r.ID)
	if h.dir.Calls.SetPassword != 1 {
		t.Fatalf("password written %d times without a stamp to compare", h.dir.Calls.SetPassword)
	}
}

// The intent was saved but the write never happened (the durable audit
// record before it failed): the next attempt writes, once.
func TestIntentWithoutAWriteIsWrittenOnRetry(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	h.failAudit = "reset.write_started"
	r, err := h.svc.Approve(ctx, r.ID, approver)
	if err == nil || r.State != StateFailed || !r.Retryable || h.dir.Calls.SetPassword != 0 {
		t.Fatalf("with the intent unaudited: %v %s, %d writes", err, r.State, h.dir.Calls.SetPassword)
	}
	h.failAudit = ""
	if r, err = h.svc.Retry(ctx, r.ID, tech); err != nil || r.State != StateDone {
		t.Fatalf("retry: %v", err)
	}
	if h.dir.Calls.SetPassword != 1 || len(r.Steps.Recovered) != 0 {
		t.Fatalf("%d writes, recovered %v; want 1 write done now", h.dir.Calls.SetPassword, r.Steps.Recovered)
	}
}

// The same for the ticket: a create or a note whose worker died before
// recording it is found in the PSA, not made again.
func TestCrashAfterTicketCreateOrNote(t *testing.T) {
	for _, step := range []string{"ticket", "note"} {
		t.Run(step, func(t *testing.T) {
			h := newHarness(t, nil)
			r := h.mustSubmit("alice", "")
			crashAfterEffect(t, h, h.svc, r.ID, step)
			r = takeOver(t, h, r.ID)
			notes, _ := h.tickets.Notes(context.Background(), r.Steps.TicketID)
			if h.ticketCount() != 1 || len(notes) != 2 { // the note and the resolution
				t.Fatalf("%d tickets, %d notes after the takeover", h.ticketCount(), len(notes))
			}
			if !strings.Contains(strings.Join(r.Steps.Recovered, ","), step) {
				t.Fatalf("%s not recovered: %+v", step, r.Steps)
			}
			if h.dir.Calls.SetPassword != 1 {
				t.Fatal("the takeover wrote the password again")
			}
		})
	}
}

func TestCrashAfterUnlockOnly(t *testing.T) {
	h := newHarness(t, nil)
	r, err := h.submitUnlock("alice")
	if err != nil {
		t.Fatal(err)
	}
	crashAfterEffect(t, h, h.svc, r.ID, "write")
	takeOver(t, h, r.ID)
	if h.dir.Calls.Unlock != 1 || h.dir.Calls.SetPassword != 0 || auditCount(h, "unlock.unlocked") != 1 {
		t.Fatalf("unlocks %d sets %d:\n%s", h.dir.Calls.Unlock, h.dir.Calls.SetPassword, h.audit.String())
	}
}

// A password the directory refuses leaves the account as it was: still
// locked, old password, and the technician sees the directory's reason.
func TestRefusedPasswordLeavesTheAccountLocked(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	before, _ := h.dir.User("alice")
	r := h.mustSubmit("alice", "")
	h.dir.FailNext("SetPassword", identity.E("test", identity.KindInvalid, "The directory refused the password: it is in the password history.", identity.ErrPolicy))
	r, _ = h.svc.Approve(ctx, r.ID, approver)
	after, _ := h.dir.User("alice")
	if !after.Lock.Locked || after.Password != before.Password || r.Steps.Unlocked || r.Steps.PasswordSet {
		t.Fatalf("after a refused password: locked %t, password changed %t, steps %+v", after.Lock.Locked, after.Password != before.Password, r.Steps)
	}
	if r.State != StateFailed || r.Retryable || !strings.Contains(h.chat.all(), "password history") {
		t.Fatalf("state %s retryable %t; chat:\n%s", r.State, r.Retryable, h.chat.all())
	}
}
