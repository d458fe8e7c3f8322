package main

import (
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// TestKilledAfterTheApprovalWritesOnce: an approval's save is its
// executor's claim, made while its read of the account is already under
// way: the replica that made it is killed with SIGKILL right after it,
// before anything was written. The replica taking over when the lease
// runs out reads the account, saves the write's intent and writes once:
// AD shows one password write and one unlock, and the trails one write,
// made by the replica that took over, not found as recovered.
func TestKilledAfterTheApprovalWritesOnce(t *testing.T) {
	c := startCrashRun(t, "approved", 2)
	doomed, survivors := heldReplica(t, c.all, "UNLOCKBOT_HELD approved")
	if got := c.lab.MetaVersion(t, c.dn, ldaptest.AttUnicodePwd); got != c.pwdBefore {
		t.Fatalf("the replica is held after the approval's save, but AD shows %d password writes", got-c.pwdBefore)
	}
	doomed.kill(t)
	c.waitDone(t, survivors)
	if got := c.lab.MetaVersion(t, c.dn, ldaptest.AttUnicodePwd); got != c.pwdBefore+1 {
		t.Errorf("unicodePwd written %d times, want once", got-c.pwdBefore)
	}
	if got := c.lab.MetaVersion(t, c.dn, ldaptest.AttLockoutTime); got != c.lockBefore+1 {
		t.Errorf("lockoutTime written %d times, want once", got-c.lockBefore)
	}
	if c.lab.Locked(t, c.dn) {
		t.Error("the account is still locked")
	}
	trail := c.trails()
	for typ, want := range map[string]int{"request.approved": 1, "request.taken_over": 1, "reset.write_started": 1, "reset.password_set": 1, "reset.completed": 1} {
		if n := strings.Count(trail, `"type":"`+typ+`"`); n != want {
			t.Errorf("%d %s records across the replicas' trails, want %d", n, typ, want)
		}
	}
	for _, l := range strings.Split(trail, "\n") {
		if strings.Contains(l, `"type":"reset.password_set"`) && strings.Contains(l, `"recovered":"true"`) {
			t.Errorf("a write nobody made before is recorded as found done:\n%s", l)
		}
	}
}
