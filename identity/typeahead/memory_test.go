package typeahead

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
)

var (
	firstNames = []string{"Alice", "Bartholomew", "Chen", "Dolores", "Emeka", "Françoise", "Gunnar", "Hiroko", "Ines", "Jakub"}
	lastNames  = []string{"Smith", "Okonkwo-Adeyemi", "Lindqvist", "Nakamura", "García", "Kowalczyk", "O'Brien", "Van der Berg"}
)

// orgAccounts is one synthetic org as AD usually names accounts: the RDN
// is the display name, the UPN the logon name at the org's domain, the
// mail first.last at it.
func orgAccounts(org, n int) []identity.Account {
	dom := fmt.Sprintf("org%03d.example.com", org)
	out := make([]identity.Account, n)
	for i := range out {
		first, last := firstNames[i%len(firstNames)], lastNames[(i/len(firstNames))%len(lastNames)]
		display := fmt.Sprintf("%s %s %d", first, last, i)
		user := strings.ToLower(first[:1]+strings.ReplaceAll(last, " ", "")) + strconv.Itoa(i)
		out[i] = identity.Account{
			ID:       "CN=" + display + ",OU=Users,OU=Org" + strconv.Itoa(org) + ",DC=org" + strconv.Itoa(org) + ",DC=example",
			Username: user, UPN: user + "@" + dom, Mail: strings.ToLower(first+"."+strings.ReplaceAll(last, " ", "")) + strconv.Itoa(i) + "@" + dom,
			DisplayName: display, InScope: true, Lock: identity.LockState{Locked: i%500 == 0, BadCount: i % 4},
		}
	}
	return out
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// rssMiB is this process's resident set, from /proc (Linux only).
func rssMiB(t *testing.T) float64 {
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// TestMemory200Orgs5000Accounts is the MSP budget: 200 orgs × 5,000
// accounts held by one replica must fit in 256 MiB resident. It reports
// the snapshot's bytes per account (heap held after GC). A measurement,
// opt-in like the others (UNLOCKBOT_MEM=1, without -race: the race
// detector's shadow memory alone is several times the budget).
func TestMemory200Orgs5000Accounts(t *testing.T) {
	if os.Getenv("UNLOCKBOT_MEM") != "1" {
		t.Skip("a measurement that builds a million accounts: UNLOCKBOT_MEM=1 go test -run Memory200 -v ./identity/typeahead")
	}
	const orgs, per = 200, 5000
	before := heap()
	snaps := make([]*snapshot, orgs)
	for o := range snaps {
		snaps[o] = build(orgAccounts(o, per)) // the accounts are garbage afterwards, as after a read
	}
	held := heap() - before
	perAccount := float64(held) / (orgs * per)
	rss := rssMiB(t)
	t.Logf("%d orgs × %d accounts: %.1f MiB of snapshots, %.0f bytes per account; process RSS %.0f MiB",
		orgs, per, float64(held)/(1<<20), perAccount, rss)
	if perAccount > 160 {
		t.Errorf("%.0f bytes per account, want at most 160", perAccount)
	}
	if rss > 256 {
		t.Errorf("RSS %.0f MiB, budget 256 MiB", rss)
	}
	if got := snaps[17].search("françoise", 3); len(got) != 3 {
		t.Errorf("search in a packed snapshot: %v", names(got))
	}
	runtime.KeepAlive(snaps)
}
