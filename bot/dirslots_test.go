package bot

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
)

// busyDirectory counts the writes and read-backs in progress and keeps
// each going a while, as a domain controller under load does.
type busyDirectory struct {
	identity.Directory
	now, peak atomic.Int64
}

func (d *busyDirectory) hold() func() {
	n := d.now.Add(1)
	for p := d.peak.Load(); n > p && !d.peak.CompareAndSwap(p, n); p = d.peak.Load() {
	}
	time.Sleep(15 * time.Millisecond)
	return func() { d.now.Add(-1) }
}

func (d *busyDirectory) SetPassword(ctx context.Context, a identity.Account, c identity.PasswordChange) error {
	defer d.hold()()
	return d.Directory.SetPassword(ctx, a, c)
}

func (d *busyDirectory) Verify(ctx context.Context, a identity.Account, pw identity.Secret, temp bool) (identity.Verification, error) {
	defer d.hold()()
	return d.Directory.Verify(ctx, a, pw, temp)
}

// TestDirectoryWritesAreBoundedAcrossReplicas: with a limit of 2, eight
// approvals at once on two replicas sharing one store never put more than
// two resets on the directory, and all of them finish; a reset that cannot
// get a slot in time stops with a retry offered, having changed nothing.
func TestDirectoryWritesAreBoundedAcrossReplicas(t *testing.T) {
	h := newHarness(t, nil)
	var users []memory.User
	for _, n := range []string{"u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"} {
		users = append(users, memory.User{Account: identity.Account{Username: n, InScope: true, Lock: identity.LockState{Locked: true}}, Password: "Old-Passw0rd!"})
	}
	mem := memory.New(users...)
	busy := &busyDirectory{Directory: mem}
	h.org.Directory, h.org.MaxConcurrentWrites = busy, 2
	h.limits = Limits{OpenPerTechnician: 20, PerTechnicianPerHour: 50}
	a, b := h.replica(h.st), h.replica(h.st)
	ctx := context.Background()
	var ids []string
	submit := func(name string) string {
		t.Helper()
		r, err := a.Submit(ctx, Submission{Requester: tech, OrgID: "acme", Account: name, Reason: "Verified by call-back to HR number"})
		if err != nil {
			t.Fatalf("submit %s: %v", name, err)
		}
		return r.ID
	}
	for _, u := range users {
		ids = append(ids, submit(u.Username))
	}
	var wg sync.WaitGroup
	for i, id := range ids {
		svc := a
		if i%2 == 1 {
			svc = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r, err := svc.Approve(ctx, id, approver); err != nil || r.State != StateDone {
				t.Errorf("approve %s: %v", id, err)
			}
		}()
	}
	wg.Wait()
	if p := busy.peak.Load(); p != 2 {
		t.Fatalf("at most %d resets on the directory at once, want exactly the limit 2", p)
	}
	if mem.Counts().SetPassword != len(users) {
		t.Fatalf("%d password writes for %d requests", mem.Counts().SetPassword, len(users))
	}

	// Both slots taken by resets that never finish: the next one waits,
	// then stops with a retry offered and nothing written.
	old := slotWait
	slotWait = 50 * time.Millisecond
	t.Cleanup(func() { slotWait = old })
	for _, m := range []string{"held-1", "held-2"} {
		if ok, _, _ := h.st.Reserve(ctx, "dirslots:acme", m, h.clock.now(), time.Minute, 2); !ok {
			t.Fatal("could not take a slot for the test")
		}
	}
	extra := memory.User{Account: identity.Account{Username: "u9", InScope: true, Lock: identity.LockState{Locked: true}}, Password: "Old-Passw0rd!"}
	mem.Put(extra)
	got, err := a.Approve(ctx, submit("u9"), approver)
	if err == nil || got.State != StateFailed || !got.Retryable || !strings.Contains(got.Failure, "resets at once") {
		t.Fatalf("no slot: %v %+v", err, got)
	}
	if mem.Counts().SetPassword != len(users) {
		t.Fatal("a reset without a slot wrote to the directory")
	}
}
