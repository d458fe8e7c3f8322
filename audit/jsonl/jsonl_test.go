package jsonl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/audit"
)

func TestFileSinkAppendsWholeLinesPrivately(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	for round := 0; round < 2; round++ { // a restart appends, never truncates
		s, err := Open(path, testKeys(t))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := audit.Event{Time: time.Now(), Type: "reset.unlocked", RequestID: fmt.Sprintf("r%d-%d", round, i), Outcome: audit.OK,
					Detail: map[string]string{"reason": "line\nbreak and \"quotes\""}}
				if err := s.Write(context.Background(), e); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		s.Close()
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("audit file mode %v, want 0600 (it names people and accounts)", info.Mode().Perm())
	}
	f, _ := os.Open(path)
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e audit.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("not one event per line: %q", sc.Text())
		}
		seen[e.RequestID] = true
	}
	if len(seen) != 100 {
		t.Fatalf("%d distinct events, want 100", len(seen))
	}
}

func TestOpenFailsClearly(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing", "audit.jsonl"), testKeys(t)); err == nil {
		t.Fatal("opened a file in a folder that does not exist")
	}
}

// TestAppendDefersTheFsyncToTheNextWrite: appended events cost no fsync of
// their own; the next Write flushes them with itself, and an Append with no
// Write after it is flushed by the timer. A delayed fsync that fails is
// reported by the next call, not lost.
func TestAppendDefersTheFsyncToTheNextWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	s, err := Open(path, testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mu sync.Mutex
	syncs := 0
	var failWith error
	s.fsync = func() error {
		mu.Lock()
		defer mu.Unlock()
		syncs++
		return failWith
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return syncs }
	ctx := context.Background()
	ev := func(id string) audit.Event {
		return audit.Event{Type: "reset.verified", RequestID: id, Outcome: audit.OK}
	}
	for _, id := range []string{"a1", "a2", "a3"} {
		if err := s.Append(ctx, ev(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Write(ctx, ev("w1")); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("three appends and a write cost %d fsyncs, want 1", n)
	}
	b, _ := os.ReadFile(path)
	if got := len(splitLines(b)); got != 4 {
		t.Fatalf("%d lines on disk, want 4", got)
	}
	// An append alone is flushed by the timer.
	if err := s.Append(ctx, ev("a4")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return count() == 2 })
	// A failing delayed fsync surfaces on the next call.
	mu.Lock()
	failWith = fmt.Errorf("disk gone")
	mu.Unlock()
	if err := s.Append(ctx, ev("a5")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return count() == 3 })
	mu.Lock()
	failWith = nil
	mu.Unlock()
	if err := s.Append(ctx, ev("a6")); err == nil {
		t.Fatal("a failed delayed fsync was not reported")
	}
	// After a failed fsync the kernel may have dropped lines: nothing more
	// is acknowledged, even when the disk answers again.
	if err := s.Write(ctx, ev("w2")); err == nil || s.Check(ctx) == nil {
		t.Fatal("the sink went on after a failed fsync")
	}
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	return out
}

// waitFor polls cond for up to 10 s: it waits for the flush timer without
// asserting how fast it is.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 10 s")
}
