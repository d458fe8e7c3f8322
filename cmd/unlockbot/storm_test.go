package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// Storm shape: a Monday-morning lockout storm over an MSP's clients.
const (
	stormOrgs     = 10
	stormPerOrg   = 50
	stormSlots    = 2 // directory.max_concurrent_resets of each org: 20 at once on the lab's one DC
	stormReplicas = 3
)

// TestLockoutStorm locks 500 accounts in Samba over ten orgs, submits a
// request for each, then approves all 500 at once over three replicas.
// All must complete; no org's directory may take more than its limit of
// resets at once (read from the replicas' trails: every write and its
// read-back lie inside a slot); and the time from the first approval to
// the last verified reset is set against the raw go-ldap floor doing the
// same operations at the same total concurrency on the same accounts.
func TestLockoutStorm(t *testing.T) {
	f := newFleet(t, 20, stormOrgs, fmt.Sprintf("max_concurrent_resets: %d", stormSlots))
	var users []string // DNs, org after org
	names := map[string]string{}
	for i, o := range f.orgs {
		for _, dn := range f.lab.StormUsers(t, fmt.Sprintf("Storm%d", i), stormPerOrg) {
			users = append(users, dn)
			names[dn] = o.id
		}
	}
	// Locked before the replicas start: their start-up reads of ten orgs
	// and the lockout's bad binds at once overrun Samba's accept queue.
	f.lab.LockAll(t, users, 8)
	for range stormReplicas {
		f.start(t)
	}
	pwdBefore := map[string]int{}
	for _, o := range f.orgs {
		for dn, v := range f.lab.MetaVersions(t, o.base, ldaptest.AttUnicodePwd) {
			pwdBefore[dn] = v
		}
	}

	var failed atomic.Int32
	start := time.Now()
	parallel(len(users), 16, func(i int) {
		org := names[users[i]]
		code, body, err := f.post(i%stormReplicas, "/slack/interactions",
			requestFormIn(org, f.techs[i%len(f.techs)], accountName(users[i]), "", fmt.Sprintf("T%d.storm", i)))
		if err != nil || !accepted(code, body) {
			failed.Add(1)
			t.Errorf("submission %d: %d %s %v", i, code, body, err)
		}
	})
	if failed.Load() > 0 {
		t.FailNow()
	}
	cards := f.waitCards(t, len(users), 2*time.Minute)
	t.Logf("%d submissions and their cards in %v", len(users), time.Since(start).Round(time.Millisecond))

	start = time.Now()
	parallel(len(cards), 50, func(i int) {
		if code, _, err := f.post(i%stormReplicas, "/slack/interactions", clickPayload(uLead, cards[i].channel, "unlockbot.approve", cards[i].id)); err != nil || code != 200 {
			t.Errorf("approve %d: %d %v", i, code, err)
		}
	})
	f.waitDone(t, cards, 5*time.Minute)
	chatDone := time.Since(start)
	recs := f.trailRecords(t)
	lastVerified := start
	for _, r := range recs {
		if r.Type == "reset.verified" && r.Time.After(lastVerified) {
			lastVerified = r.Time
		}
	}
	dirTook := lastVerified.Sub(start)

	for _, o := range f.orgs {
		if peak := peakConcurrency(recs, o.id); peak > stormSlots {
			t.Errorf("org %s: %d resets in the directory at once, limit %d", o.id, peak, stormSlots)
		} else if peak < 2 {
			t.Errorf("org %s: at most %d reset at a time: the storm never ran resets side by side", o.id, peak)
		}
	}
	for _, o := range f.orgs {
		for dn, v := range f.lab.MetaVersions(t, o.base, ldaptest.AttUnicodePwd) {
			if _, ours := pwdBefore[dn]; ours && v-pwdBefore[dn] != 1 {
				t.Errorf("%s: unicodePwd written %d times, want once", dn, v-pwdBefore[dn])
			}
		}
	}
	if locked := f.lab.LockedAmong(t, users); len(locked) > 0 {
		t.Errorf("%d accounts still locked, e.g. %s", len(locked), locked[0])
	}
	f.onceEach(t, cards)
	f.paced(t)

	floor := rawFloor(t, f.lab, users, stormOrgs*stormSlots)
	t.Logf("storm: %d resets over %d orgs (limit %d each) on %d replicas: directory work done %v after the first approval (%.1f resets/s), every card updated after %v; "+
		"raw go-ldap floor at %d connections: %v (%.1f resets/s); service/floor throughput %.2f",
		len(users), stormOrgs, stormSlots, stormReplicas, dirTook.Round(time.Millisecond), float64(len(users))/dirTook.Seconds(), chatDone.Round(time.Millisecond),
		stormOrgs*stormSlots, floor.Round(time.Millisecond), float64(len(users))/floor.Seconds(), floor.Seconds()/dirTook.Seconds())
}

// accountName is the CN of a storm user's DN (also its sAMAccountName).
func accountName(dn string) string {
	return strings.TrimPrefix(strings.Split(dn, ",")[0], "CN=")
}

// trailRecord is the part of an audit record the storm reads.
type trailRecord struct {
	Time      time.Time `json:"time"`
	Type      string    `json:"type"`
	RequestID string    `json:"request_id"`
	Org       string    `json:"org"`
}

// trailRecords reads every replica's audit file.
func (f *fleet) trailRecords(t *testing.T) []trailRecord {
	t.Helper()
	var out []trailRecord
	for _, r := range f.replicas {
		b, err := os.ReadFile(r.audit)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			var rec trailRecord
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Type != "" {
				out = append(out, rec)
			}
		}
	}
	return out
}

// peakConcurrency is the most requests of org between their
// reset.write_started and reset.verified at one moment: a write and its
// read-back hold one of the org's slots, so this may never pass the limit.
func peakConcurrency(recs []trailRecord, org string) int {
	type edge struct {
		at time.Time
		d  int
	}
	var edges []edge
	for _, r := range recs {
		if r.Org != org {
			continue
		}
		switch r.Type {
		case "reset.write_started":
			edges = append(edges, edge{r.Time, +1})
		case "reset.verified":
			edges = append(edges, edge{r.Time, -1})
		}
	}
	// At a tie the end counts first: a slot freed and taken in the same
	// instant is one slot.
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.d - b.d
	})
	cur, peak := 0, 0
	for _, e := range edges {
		cur += e.d
		peak = max(peak, cur)
	}
	return peak
}

// rawFloor does the same directory work as the storm, with bare go-ldap
// on conns connections bound as the bot (the writes, then a bind as each
// user with its new password, as Verify does), and returns how long it
// took for all the accounts.
func rawFloor(t *testing.T, lab *ldaptest.Server, users []string, conns int) time.Duration {
	t.Helper()
	// Each slot has a connection bound as the bot and one kept for the
	// binds as the users, as the Directory keeps its proof connections.
	type slot struct{ c, proof *goldap.Conn }
	pool := make(chan slot, conns)
	for range conns {
		pool <- slot{lab.Bot(t), lab.Prover(t)}
	}
	var failed atomic.Int32
	start := time.Now()
	parallel(len(users), conns, func(i int) {
		sl := <-pool
		defer func() { pool <- sl }()
		pw := fmt.Sprintf("Floor-%d-%s!a9", i, time.Now().Format("150405.000"))
		if err := ldap.RawADReset(sl.c, lab.UsersDN, accountName(users[i]), users[i], ldaptest.UnicodePwd(pw)); err != nil {
			failed.Add(1)
			t.Errorf("floor reset %s: %v", users[i], err)
			return
		}
		if err := sl.proof.Bind(users[i], pw); err != nil {
			failed.Add(1)
			t.Errorf("floor bind %s: %v", users[i], err)
		}
	})
	if failed.Load() > 0 {
		t.FailNow()
	}
	return time.Since(start)
}
