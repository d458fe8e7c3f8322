package ldap

import (
	"testing"
	"time"
)

// Group SIDs are resolved once per groupCacheTTL, not on every guard
// check, and again after it: a deny group deleted and re-created (a new
// SID) is seen within the TTL. The connection here is dead, so any search
// fails: a hit must not search, a miss or an expired entry must.
func TestGroupCacheTTL(t *testing.T) {
	dead := pipeConn(t)
	dead.Close()
	const deny = "CN=Deny,OU=Groups,DC=lab,DC=test"
	d := &Directory{}
	d.groups.sids, d.groups.at = map[string]string{deny: "S-1-5-21-1-2-3-1111"}, time.Now()
	got, err := d.groupSIDs(dead, []string{deny})
	if err != nil || got[deny] != "S-1-5-21-1-2-3-1111" {
		t.Fatalf("fresh cache: %v, %v; want the cached SID without a search", got, err)
	}
	if _, err := d.groupSIDs(dead, []string{deny, "CN=Other,DC=lab,DC=test"}); err == nil {
		t.Fatal("a group not in the cache was not looked up")
	}
	d.groups.sids, d.groups.at = map[string]string{deny: "S-1-5-21-1-2-3-1111"}, time.Now().Add(-groupCacheTTL-time.Second)
	if _, err := d.groupSIDs(dead, []string{deny}); err == nil {
		t.Fatal("a cache older than groupCacheTTL was used without resolving the group again")
	}
}
