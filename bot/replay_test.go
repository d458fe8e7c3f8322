package bot

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

// A store writer cannot forge a record, but can put an old one back as it
// was, version and all, which its MAC accepts. The directory, which no
// store writer controls, has the last word, and nothing is written twice:
// a record from before its approval's save, approved again, or one from
// that save (the claim, no write intent yet: the intent is saved only
// after the account is read for the write), run again, is refused before
// its write: the password stamp moved since the submission, or the
// request is in the account's unlock history.
func TestRolledBackRecordIsNotRunAgain(t *testing.T) {
	for _, mode := range []Mode{ModeReset, ModeUnlock} {
		for _, from := range []string{"pending", "claimed"} {
			t.Run(string(mode)+"/"+from, func(t *testing.T) {
				h := newHarness(t, nil)
				ctx := context.Background()
				r, err := h.svc.Submit(ctx, Submission{Requester: tech, OrgID: "acme", Mode: mode, Account: "alice", Reason: "Verified by call-back"})
				if err != nil {
					t.Fatal(err)
				}
				snapshot := snapshotRecord(t, h.st, requestKey(r.ID))
				pwSnap, _ := h.st.Get(ctx, passwordKey(r.ID))
				if from == "claimed" {
					h.svc.afterStep = func(step string) error {
						if step == "reserve" {
							runtime.Goexit() // stop right after the claim, to copy the record
						}
						return nil
					}
				}
				done := make(chan struct{})
				go func() { defer close(done); _, _ = h.svc.Approve(ctx, r.ID, approver) }()
				<-done
				if from == "claimed" {
					h.svc.afterStep = nil
					snapshot = snapshotRecord(t, h.st, requestKey(r.ID))
					pwSnap, _ = h.st.Get(ctx, passwordKey(r.ID))
					if got, _ := h.svc.Get(ctx, r.ID); got.Steps.WriteIntent {
						t.Fatalf("the approval's save carries the write's intent, saved before the read it depends on: %+v", got.Steps)
					}
					h.clock.add(2 * time.Minute)
					if got, err := h.replica(h.st).Execute(ctx, r.ID); err != nil || got.State != StateDone {
						t.Fatalf("first run: %v", err)
					}
				}
				writes := h.dir.Calls.SetPassword + h.dir.Calls.Unlock
				if writes == 0 {
					t.Fatal("setup: the first run wrote nothing")
				}
				// Lock the account again, and put the old record (and password) back.
				a, _ := h.dir.User("alice")
				a.Lock = identity.LockState{Locked: true}
				h.dir.Put(a)
				restore(t, h.st, requestKey(r.ID), snapshot)
				if pwSnap.Value != nil {
					restore(t, h.st, passwordKey(r.ID), pwSnap)
				}
				h.clock.add(2 * time.Minute)
				var got *Request
				if from == "pending" {
					got, err = h.replica(h.st).Approve(ctx, r.ID, approver)
				} else {
					got, err = h.replica(h.st).Execute(ctx, r.ID)
				}
				if n := h.dir.Calls.SetPassword + h.dir.Calls.Unlock; n != writes {
					t.Fatalf("the replay wrote to the directory (%d writes, was %d)", n, writes)
				}
				if err == nil || got.State != StateFailed || got.Retryable {
					t.Fatalf("the rolled-back record ran: %v %+v", err, got)
				}
				if !strings.Contains(h.audit.String(), "changed_since_request") && !strings.Contains(h.audit.String(), `"code":"replayed"`) {
					t.Fatalf("the refusal is not audited:\n%s", h.audit.String())
				}
			})
		}
	}
}

// snapshotRecord and restore copy a key's stored form (value and version),
// as an attacker with write access to Redis could.
func snapshotRecord(t *testing.T, st store.Store, key string) store.Record {
	t.Helper()
	rec, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func restore(t *testing.T, st store.Store, key string, rec store.Record) {
	t.Helper()
	ctx := context.Background()
	_ = st.Delete(ctx, key)
	if _, err := st.Create(ctx, key, rec.Value, time.Hour); err != nil {
		t.Fatal(err)
	}
	for v := int64(1); v < rec.Version; v++ { // walk the version up to the snapshot's
		cur, _ := st.Get(ctx, key)
		if _, err := st.CompareAndSwap(ctx, key, cur.Version, rec.Value, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
}

// A worker killed after its write, taken over only after the approval has
// lapsed: the write is reconciled, and the reset is finished (ticket,
// outcome) rather than refused as if nothing had changed.
func TestLapsedApprovalAfterTheWriteIsFinished(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	crashAfterEffect(t, h, h.svc, r.ID, "write")
	h.clock.add(61 * time.Minute) // the approval lapsed; the password is still kept (two leases more)
	got, err := h.replica(h.st).Execute(context.Background(), r.ID)
	if err != nil || got.State != StateDone || h.dir.Calls.SetPassword != 1 {
		t.Fatalf("lapsed approval after the write: %v, state %s, %d writes", err, got.State, h.dir.Calls.SetPassword)
	}
}

// The write's intent is saved but it never reached the directory, and the
// approval lapses meanwhile: neither a retry nor a takeover writes now.
func TestLapsedApprovalBeforeTheWriteIsNotWritten(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	intentOnly := func(account string) *Request {
		r := h.mustSubmit(account, "")
		h.failAudit = "reset.write_started" // the intent is saved, the write never sent
		r, _ = h.svc.Approve(ctx, r.ID, approver)
		h.failAudit = ""
		if !r.Steps.WriteIntent || r.Steps.PasswordSet {
			t.Fatalf("setup: %+v", r.Steps)
		}
		return r
	}
	r := intentOnly("alice")
	h.clock.add(61 * time.Minute)
	if _, err := h.svc.Retry(ctx, r.ID, tech); err == nil {
		t.Fatal("a retry of a lapsed approval went on")
	}
	r2 := intentOnly("bob")
	r2.State, r2.LeaseUntil = StateExecuting, h.clock.now() // as a dead worker leaves it
	if err := h.svc.repo.save(ctx, r2); err != nil {
		t.Fatal(err)
	}
	h.clock.add(61 * time.Minute) // lapsed; the password is still kept
	got, err := h.replica(h.st).Execute(ctx, r2.ID)
	if err == nil || got.State != StateFailed || h.dir.Calls.SetPassword != 0 || !strings.Contains(got.Failure, "nothing was changed") {
		t.Fatalf("takeover of a lapsed, unwritten reset: %v, failure %q, %d writes", err, got.Failure, h.dir.Calls.SetPassword)
	}
}

// The reset is found written on takeover but the account is locked again
// (the user kept trying): it is unlocked as its own step, with an intent
// durably audited before the directory is touched.
func TestRelockedAfterARecoveredWriteIsUnlockedWithIntent(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	crashAfterEffect(t, h, h.svc, r.ID, "write")
	a, _ := h.dir.User("alice")
	a.Lock = identity.LockState{Locked: true, BadCount: 3}
	h.dir.Put(a)
	got := takeOver(t, h, r.ID)
	if u, _ := h.dir.User("alice"); u.Lock.Locked || !got.Steps.Unlocked || h.dir.Calls.SetPassword != 1 {
		t.Fatalf("locked %t, steps %+v, %d password writes", u.Lock.Locked, got.Steps, h.dir.Calls.SetPassword)
	}
	trail := h.audit.String()
	start, unlocked := strings.Index(trail, `"type":"reset.unlock_started"`), strings.Index(trail, `"type":"reset.unlocked"`)
	if start < 0 || unlocked < start {
		t.Fatalf("the second unlock has no intent before it:\n%s", trail)
	}
}

// A reveal whose audit record cannot be written shows nothing and consumes
// nothing: once the trail works again, the one reveal is still there.
func TestRevealWithoutAnAuditRecordConsumesNothing(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	h.failAudit = "password.revealed"
	if pw, _, err := h.svc.RevealPassword(ctx, r.ID, tech); err == nil || !pw.IsZero() {
		t.Fatal("a reveal went on without its audit record")
	}
	h.failAudit = ""
	pw, _, err := h.svc.RevealPassword(ctx, r.ID, tech)
	if u, _ := h.dir.User("alice"); err != nil || pw.Reveal() != u.Password {
		t.Fatalf("the reveal after the trail came back: %v", err)
	}
}

// A reveal that races another save of the request (the done messages being
// recorded) reads again and goes on, and is audited once.
func TestRevealRetriesAConflictOnce(t *testing.T) {
	h, flaky, svc := flakyHarness(t)
	ctx := context.Background()
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	flaky.mu.Lock()
	flaky.conflicts["req:"] = 1
	flaky.mu.Unlock()
	if _, _, err := svc.RevealPassword(ctx, r.ID, tech); err != nil {
		t.Fatalf("a reveal after one conflict: %v", err)
	}
	if n := auditCount(h, "password.revealed"); n != 1 {
		t.Fatalf("%d password.revealed records, want 1", n)
	}
	// Saves that keep conflicting: the reveal gives up and shows nothing.
	d, err := submitOn(svc, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(ctx, d.ID, approver); err != nil {
		t.Fatal(err)
	}
	flaky.mu.Lock()
	flaky.conflicts["req:"] = 10
	flaky.mu.Unlock()
	if pw, _, err := svc.RevealPassword(ctx, d.ID, tech); err == nil || !pw.IsZero() || KindOf(err) != KindUnavailable {
		t.Fatalf("a reveal whose saves all conflict: %v", err)
	}
}
