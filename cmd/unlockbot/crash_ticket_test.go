package main

import (
	"context"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// TestKilledReplicaMakesOneTicket: a first try makes its ticket with no
// intent saved before it (the ticket is asked for by the request's key),
// so the worst moment is right after the create: the replica running the
// approved reset is killed with SIGKILL there, before it records the
// ticket. The replica that takes over when the lease runs out finds the
// ticket by the request's key instead of making another: the local ticket
// system in Redis holds one ticket, noted and resolved, and AD one
// password write.
func TestKilledReplicaMakesOneTicket(t *testing.T) {
	// A replica taking over finds the ticket made and makes none: only
	// the first one's create reaches the hold.
	c := startCrashRun(t, "ticket", 2)
	doomed, survivors := heldReplica(t, c.all, "UNLOCKBOT_HELD ticket")
	tickets := func() []string {
		keys, err := redisClient(t, c.redisURL).Keys(context.Background(), c.shared.prefix+"psa:lab:ticket:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	if n := len(tickets()); n != 1 {
		t.Fatalf("the replica is held after its create, but the ticket system holds %d tickets", n)
	}
	doomed.kill(t)
	c.waitDone(t, survivors)
	if n := len(tickets()); n != 1 {
		t.Errorf("%d tickets after the takeover, want the one the killed replica made", n)
	}
	if got := c.lab.MetaVersion(t, c.dn, ldaptest.AttUnicodePwd); got != c.pwdBefore+1 {
		t.Errorf("unicodePwd written %d times, want once", got-c.pwdBefore)
	}
	trail := c.trails()
	created := 0
	for _, l := range strings.Split(trail, "\n") {
		if strings.Contains(l, `"type":"ticket.created"`) {
			created++
			if !strings.Contains(l, `"recovered":"true"`) {
				t.Errorf("the ticket is recorded as made by the replica that took over, not found:\n%s", l)
			}
		}
	}
	if created != 1 || strings.Count(trail, `"type":"ticket.resolved"`) != 1 || strings.Count(trail, `"type":"reset.completed"`) != 1 {
		t.Errorf("trails: %d ticket.created, want 1 (recovered), and one resolution and completion:\n%s", created, trail)
	}
}
