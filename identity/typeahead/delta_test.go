package typeahead

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
)

// changeDir is a directory that keeps a version per account, as AD keeps
// uSNChanged, and answers Changes like identity/ldap: the accounts written
// after the cursor, or all of them for an empty or unknown cursor. It
// counts reads and entries returned.
type changeDir struct {
	*memory.Directory
	mu      sync.Mutex
	usn     int
	accts   map[string]identity.Account
	version map[string]int
	reads   int // Changes calls
	full    int // of which full reads
	entries int // entries returned in all
}

func newChangeDir(n int) *changeDir {
	c := &changeDir{Directory: memory.New(), accts: map[string]identity.Account{}, version: map[string]int{}}
	for i := range n {
		c.put(acct(i, false))
	}
	return c
}

func acct(i int, locked bool) identity.Account {
	name := fmt.Sprintf("user%05d", i)
	return identity.Account{ID: "CN=" + name + ",OU=Staff,DC=x,DC=test", Username: name, UPN: name + "@x.test",
		Mail: name + "@mail.x.test", DisplayName: fmt.Sprintf("Person %05d", i), InScope: true, Lock: identity.LockState{Locked: locked}}
}

func (c *changeDir) put(a identity.Account) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.usn++
	c.accts[a.ID], c.version[a.ID] = a, c.usn
	c.Directory.Put(memory.User{Account: a}) // what a search without the snapshot finds
}

func (c *changeDir) del(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.usn++
	delete(c.accts, id)
	delete(c.version, id)
}

func (c *changeDir) Changes(_ context.Context, cursor string) (identity.Delta, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	since, err := strconv.Atoi(cursor)
	d := identity.Delta{Cursor: strconv.Itoa(c.usn), Full: err != nil || since > c.usn}
	for id, a := range c.accts {
		if d.Full || c.version[id] > since {
			d.Changed = append(d.Changed, a)
		}
	}
	if d.Full {
		c.full++
	}
	c.entries += len(d.Changed)
	return d, nil
}

func (c *changeDir) counts() (reads, full, entries int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads, c.full, c.entries
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func wrapChanges(t testing.TB, dir *changeDir, clk *clock, opt Options) *Directory {
	t.Helper()
	d := WrapWith(dir, opt, zerolog.Nop()).(*Directory)
	d.now = clk.now
	return d
}

func names(as []identity.Account) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.Username)
	}
	return out
}

func TestDeltaRefreshReadsOnlyChanges(t *testing.T) {
	dir := newChangeDir(1000)
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	d := wrapChanges(t, dir, clk, Options{Every: time.Minute, FullEvery: time.Hour})
	ctx := context.Background()
	if err := d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, full, entries := dir.counts(); full != 1 || entries != 1000 {
		t.Fatalf("load: %d full reads, %d entries", full, entries)
	}

	renamed := acct(3, false)
	renamed.DisplayName = "Zed Renamed"
	dir.put(renamed)
	dir.put(acct(5, true))
	dir.put(acct(1000, false))
	clk.add(time.Minute)
	if err := d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, full, entries := dir.counts(); full != 1 || entries != 1003 {
		t.Fatalf("delta: %d full reads, %d entries in all, want 1 and 1003", full, entries)
	}
	if got, _ := d.Search(ctx, "", 10); !slices.Equal(names(got), []string{"user00005"}) {
		t.Fatalf("locked after the delta: %v", names(got))
	}
	if got, _ := d.Search(ctx, "zed", 10); len(got) != 1 || got[0].Username != "user00003" {
		t.Fatalf("renamed account: %v", names(got))
	}
	if got, _ := d.Search(ctx, "user01000@mail.x", 10); len(got) != 1 {
		t.Fatalf("added account by mail: %v", names(got))
	}
	if n := len(d.accounts()); n != 1001 {
		t.Fatalf("%d accounts, want 1001 (one replaced, one added)", n)
	}

	// A deletion leaves at the next full read, not before.
	dir.del(acct(7, false).ID)
	clk.add(time.Minute)
	_ = d.Refresh(ctx)
	if got, _ := d.Search(ctx, "user00007", 10); len(got) != 1 {
		t.Fatal("a delta read removed an account it cannot know is gone")
	}
	clk.add(time.Hour)
	_ = d.Refresh(ctx)
	if got, _ := d.Search(ctx, "user00007", 10); len(got) != 0 {
		t.Fatalf("deleted account still offered after the full read: %v", names(got))
	}
	if reads, full, _ := dir.counts(); reads != 4 || full != 2 {
		t.Fatalf("%d reads, %d full; want 4 and 2", reads, full)
	}
}

func TestLazyLoadAndIdleDrop(t *testing.T) {
	dir := newChangeDir(50)
	clk := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	d := wrapChanges(t, dir, clk, Options{Every: time.Minute, Idle: 30 * time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Nobody searched: the interval reads nothing.
	if err := d.tick(ctx, false); err != nil || d.Loaded() {
		t.Fatalf("loaded without a search: %v", err)
	}
	if reads, _, _ := dir.counts(); reads != 0 {
		t.Fatalf("%d reads for an org nobody uses", reads)
	}
	// The first search is answered by the directory and wakes Run, which loads.
	go d.Run(ctx)
	if got, err := d.Search(ctx, "user0004", 5); err != nil || len(got) != 5 {
		t.Fatalf("first search: %v %v", names(got), err)
	}
	waitFor(t, d.Loaded)
	if got, err := d.Search(ctx, "user0004", 5); err != nil || len(got) != 5 {
		t.Fatalf("search from the snapshot: %v %v", names(got), err)
	}
	cancel()

	clk.add(29 * time.Minute)
	if err := d.tick(context.Background(), false); err != nil || !d.Loaded() {
		t.Fatal("dropped before the idle period")
	}
	clk.add(2 * time.Minute)
	if err := d.tick(context.Background(), false); err != nil || d.Loaded() {
		t.Fatal("not dropped after the idle period")
	}
	reads, _, _ := dir.counts()
	if err := d.tick(context.Background(), false); err != nil || d.Loaded() {
		t.Fatal("reloaded without a search")
	}
	if r, _, _ := dir.counts(); r != reads {
		t.Fatal("a dropped snapshot is still refreshed")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 200 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("timed out")
}

func TestPackedEntriesRoundTrip(t *testing.T) {
	in := []identity.Account{
		{ID: "CN=Smith\\, John,OU=A,DC=x", Username: "jsmith", UPN: "John.Smith@X.Test", Mail: "", DisplayName: "Smith, John", InScope: true},
		{ID: "uid=bob,ou=people,dc=example,dc=org", Username: "bob", Mail: "bob@example.org", DisplayName: "Bob", InScope: true,
			Lock: identity.LockState{Locked: true, BadCount: 3, LockedAt: time.Unix(1_800_000_000, 0).UTC()}, Disabled: true},
		{ID: "weird", Username: "w", UPN: "no-at-sign", InScope: true},
	}
	s := build(in)
	var got []identity.Account
	for i := range s.entries {
		got = append(got, s.account(&s.entries[i]))
	}
	slices.SortFunc(got, func(a, b identity.Account) int { return strings.Compare(a.Username, b.Username) })
	slices.SortFunc(in, func(a, b identity.Account) int { return strings.Compare(a.Username, b.Username) })
	for i := range in {
		if !same(got[i], in[i]) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got[i], in[i])
		}
	}
	if r := s.search("john.smith@x.t", 5); len(r) != 1 || r[0].Username != "jsmith" {
		t.Errorf("UPN prefix across the interned domain: %v", names(r))
	}
	if r := s.search("john.smith@y", 5); len(r) != 0 {
		t.Errorf("matched another domain: %v", names(r))
	}
}
