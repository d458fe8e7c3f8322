package typeahead

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
)

func users(n int) []memory.User {
	var us []memory.User
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("user%05d", i)
		u := memory.User{Account: identity.Account{Username: name, DisplayName: fmt.Sprintf("Person %05d", i), UPN: name + "@x.test", InScope: true}}
		if i%1000 == 7 {
			u.Lock.Locked = true
		}
		us = append(us, u)
	}
	return us
}

func wrap(t testing.TB, dir *memory.Directory) (*Directory, *time.Time) {
	t.Helper()
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	d := Wrap(dir, time.Minute, zerolog.Nop()).(*Directory)
	d.now = func() time.Time { return now }
	if err := d.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d, &now
}

func TestSnapshotAnswersLockedFirst(t *testing.T) {
	dir := memory.New(users(3000)...)
	d, _ := wrap(t, dir)
	ctx := context.Background()
	got, err := d.Search(ctx, "user0", 5)
	if err != nil || len(got) != 5 || !got[0].Lock.Locked || got[0].Username != "user00007" {
		t.Fatalf("got %v %v", got, err)
	}
	got, _ = d.Search(ctx, "", 50)
	if len(got) != 3 {
		t.Fatalf("empty query: %d locked accounts, want 3", len(got))
	}
	if got, _ := d.Search(ctx, "PERSON 0299", 50); len(got) != 10 {
		t.Fatalf("display-name prefix, case-insensitive: %d", len(got))
	}
	// The directory itself is not asked: make it fail and search again.
	dir.FailNext("Search", errors.New("directory down"))
	if _, err := d.Search(ctx, "user", 5); err != nil {
		t.Fatalf("the snapshot should have answered: %v", err)
	}
}

func TestStaleSnapshotFallsBackToTheDirectory(t *testing.T) {
	dir := memory.New(users(10)...)
	d, now := wrap(t, dir)
	*now = now.Add(4 * time.Minute)
	dir.FailNext("Search", errors.New("directory asked"))
	if _, err := d.Search(context.Background(), "user", 5); err == nil || err.Error() != "directory asked" {
		t.Fatalf("a stale snapshot answered: %v", err)
	}
	// A failed refresh keeps the old snapshot.
	*now = now.Add(-4 * time.Minute)
	dir.FailNext("All", errors.New("down"))
	if err := d.Refresh(context.Background()); err == nil {
		t.Fatal("refresh error swallowed")
	}
	if got, err := d.Search(context.Background(), "user", 5); err != nil || len(got) != 5 {
		t.Fatalf("old snapshot lost after a failed refresh: %v", err)
	}
}

func TestUnlockClearsTheHint(t *testing.T) {
	dir := memory.New(users(10)...)
	d, _ := wrap(t, dir)
	ctx := context.Background()
	a, _ := dir.Lookup(ctx, "user00007")
	if err := d.Unlock(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Search(ctx, "", 10); len(got) != 0 {
		t.Fatalf("still listed as locked: %v", got)
	}
}

func TestNULGoesToTheDirectory(t *testing.T) {
	d, _ := wrap(t, memory.New(users(10)...))
	if _, err := d.Search(context.Background(), "a\x00b", 5); identity.KindOf(err) != identity.KindInvalid {
		t.Fatalf("NUL: %v", err)
	}
}

func TestWrapLeavesNonListersAlone(t *testing.T) {
	var plain identity.Directory = struct{ identity.Directory }{memory.New()}
	if Wrap(plain, time.Minute, zerolog.Nop()) != plain {
		t.Fatal("wrapped a directory that cannot list")
	}
}

// BenchmarkSearch10k is one keystroke over 10,000 accounts from memory.
func BenchmarkSearch10k(b *testing.B) {
	d, _ := wrap(b, memory.New(users(10000)...))
	ctx := context.Background()
	qs := []string{"user0", "user004", "person 05", "u", "", "zz"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := d.Search(ctx, qs[i%len(qs)], 25); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
