package entra_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/entra"
	"github.com/unlockbot/unlockbot/identity/entra/entratest"
)

const lockGrp = "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee"

// lockTenant is tenant with an empty intentional-lock group nested in an
// outer one, and a Directory that uses the inner group.
func lockTenant(t *testing.T) (*entratest.Server, *entra.Directory) {
	t.Helper()
	s := tenant(t)
	s.AddGroup(entratest.Group{ID: lockGrp, DisplayName: "Held on purpose"})
	d, _ := dir(t, s, func(c *entra.Config) { c.IntentionalLockGroup = lockGrp })
	return s, d
}

func grantLock(s *entratest.Server) {
	s.SetPermission("GroupMember.ReadWrite.All", true)
	s.SetPermission("User.EnableDisableAccount.All", true)
}

func TestLockGroupMustBeAGUID(t *testing.T) {
	s := tenant(t)
	c := config(s)
	c.IntentionalLockGroup = "CN=Locked,DC=corp"
	var ce *entra.ConfigError
	if err := c.Validate(); !errors.As(err, &ce) || ce.Key != "intentional_lock_group" {
		t.Fatalf("Validate = %v, want intentional_lock_group", err)
	}
}

func TestGuardSeesLockGroupInTheSameMembershipCall(t *testing.T) {
	s, d := lockTenant(t)
	outer := "ffffffff-ffff-4fff-8fff-ffffffffffff"
	s.AddGroup(entratest.Group{ID: outer, DisplayName: "Leavers", Members: []string{aliceID}})
	s.AddGroup(entratest.Group{ID: lockGrp, DisplayName: "Held on purpose", Members: []string{outer}}) // alice only transitively
	a := lookup(t, d, "alice@contoso.com")
	if !a.IntentionalLock || len(a.DenyGroups) != 0 || a.GuardUnavailable {
		t.Fatalf("alice %+v: want an intentional lock, not a deny group", a)
	}
	if n := s.Calls("POST /users/{id}/checkMemberGroups"); n != 1 {
		t.Fatalf("checkMemberGroups calls = %d, want 1 carrying deny and lock groups", n)
	}
	b := lookup(t, d, "bob@contoso.com")
	if b.IntentionalLock || len(b.DenyGroups) != 1 {
		t.Fatalf("bob %+v: a deny group, no lock", b)
	}
	s.Fail("POST /users/{id}/checkMemberGroups", 3, 503, "serviceNotAvailable", "busy", 0)
	if c := lookup(t, d, "alice@contoso.com"); !c.GuardUnavailable {
		t.Fatalf("a failed membership read must leave the guard unavailable: %+v", c)
	}
}

func TestLockDisableAndRelease(t *testing.T) {
	s, d := lockTenant(t)
	ctx := context.Background()
	a := lookup(t, d, "alice@contoso.com")

	// Without the write permissions Graph refuses, and nothing changed.
	_, err := d.LockOnPurpose(ctx, a, identity.LockDisable)
	if !errors.Is(err, identity.ErrRights) || !strings.Contains(safe(err), "GroupMember.ReadWrite.All") {
		t.Fatalf("no permission: %v (%q)", err, safe(err))
	}
	if len(s.Members(lockGrp)) != 0 || !s.User(aliceID).Enabled {
		t.Fatal("a refused lock changed the tenant")
	}

	grantLock(s)
	done, err := d.LockOnPurpose(ctx, a, identity.LockDisable)
	if err != nil || done != (identity.LockDone{Mode: identity.LockDisable, Grouped: true, Blocked: true}) {
		t.Fatalf("lock = %+v, %v", done, err)
	}
	u := s.User(aliceID)
	if u.Enabled || u.Revoked != 1 || !slices.Contains(s.Members(lockGrp), aliceID) {
		t.Fatalf("after lock: enabled %v revoked %d members %v", u.Enabled, u.Revoked, s.Members(lockGrp))
	}
	if back := lookup(t, d, aliceID); !back.IntentionalLock || !back.Disabled {
		t.Fatalf("read-back %+v", back)
	}
	// A repeat changes nothing more and says so.
	again, err := d.LockOnPurpose(ctx, a, identity.LockDisable)
	if err != nil || again.Grouped || again.Blocked || s.User(aliceID).EnabledWrites != 1 {
		t.Fatalf("repeat = %+v, %v, writes %d", again, err, s.User(aliceID).EnabledWrites)
	}

	if err := d.ReleaseLock(ctx, a, done); err != nil {
		t.Fatal(err)
	}
	if !s.User(aliceID).Enabled || len(s.Members(lockGrp)) != 0 {
		t.Fatalf("after release: enabled %v members %v", s.User(aliceID).Enabled, s.Members(lockGrp))
	}
	// Released twice: not a member (404) is fine.
	if err := d.ReleaseLock(ctx, a, identity.LockDone{}); err != nil {
		t.Fatalf("second release: %v", err)
	}
}

func TestLockKeepsWhatWasDisabledBefore(t *testing.T) {
	s, d := lockTenant(t)
	grantLock(s)
	ctx := context.Background()
	a := lookup(t, d, "dave@contoso.com")
	done, err := d.LockOnPurpose(ctx, a, identity.LockDisable)
	if err != nil || !done.Grouped || done.Blocked || s.User(daveID).EnabledWrites != 0 || s.User(daveID).Revoked != 1 {
		t.Fatalf("lock of a disabled account = %+v, %v, %+v", done, err, s.User(daveID))
	}
	if err := d.ReleaseLock(ctx, a, done); err != nil || s.User(daveID).Enabled {
		t.Fatalf("release must leave dave disabled: %v %+v", err, s.User(daveID))
	}
}

func TestLockGroupModeAndMissingDisablePermission(t *testing.T) {
	s, d := lockTenant(t)
	s.SetPermission("GroupMember.ReadWrite.All", true)
	ctx := context.Background()
	a := lookup(t, d, "alice@contoso.com")
	done, err := d.LockOnPurpose(ctx, a, identity.LockGroup)
	if err != nil || !done.Grouped || done.Blocked || !s.User(aliceID).Enabled || s.User(aliceID).Revoked != 0 {
		t.Fatalf("group mode = %+v, %v", done, err)
	}
	// Disable mode without User.EnableDisableAccount.All: the group holds, the
	// error names the permission.
	b := lookup(t, d, "eve@fabrikam.com")
	done, err = d.LockOnPurpose(ctx, b, identity.LockDisable)
	if !errors.Is(err, identity.ErrRights) || !strings.Contains(safe(err), "User.EnableDisableAccount.All") || !done.Grouped || done.Blocked {
		t.Fatalf("no disable permission: %+v %v (%q)", done, err, safe(err))
	}
	if !s.User(eveID).Enabled || !slices.Contains(s.Members(lockGrp), eveID) {
		t.Fatal("want eve grouped and still enabled")
	}
}

func TestLockRefusesSyncedAndUnconfigured(t *testing.T) {
	s, d := lockTenant(t)
	grantLock(s)
	ctx := context.Background()
	carol := lookup(t, d, "carol@contoso.com")
	if _, err := d.LockOnPurpose(ctx, carol, identity.LockDisable); !errors.Is(err, identity.ErrSynced) {
		t.Fatalf("synced: %v", err)
	}
	if s.Calls("POST /groups/{id}/members/$ref") != 0 || s.Calls("PATCH /users/{id}") != 0 {
		t.Fatal("a synced account's lock reached Graph")
	}
	plain, _ := dir(t, s)
	if _, err := plain.LockOnPurpose(ctx, lookup(t, plain, "alice@contoso.com"), identity.LockDisable); err == nil || !strings.Contains(safe(err), "intentional_lock_group") {
		t.Fatalf("no group: %v", err)
	}
}

func TestCheckReportsLockGroupAndItsPermissions(t *testing.T) {
	s := tenant(t)
	d, _ := dir(t, s, func(c *entra.Config) { c.IntentionalLockGroup = lockGrp })
	m := results(d.Check(context.Background()))
	if r := m["intentional-lock group "+lockGrp]; r.OK || !strings.Contains(r.Detail, "intentional_lock_group") {
		t.Fatalf("missing lock group: %+v", r)
	}
	for _, p := range []string{"GroupMember.ReadWrite.All", "User.EnableDisableAccount.All"} {
		if r := m["permission "+p]; r.OK || !strings.Contains(r.Detail, p) {
			t.Fatalf("%s: %+v", p, r)
		}
	}
	s.AddGroup(entratest.Group{ID: lockGrp, DisplayName: "Held on purpose"})
	grantLock(s)
	for _, r := range d.Check(context.Background()) {
		if !r.OK || r.Warning {
			t.Fatalf("%s: %+v", r.Name, r)
		}
	}
}
