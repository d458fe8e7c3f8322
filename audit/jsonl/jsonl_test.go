package jsonl

import (
	"bufio"
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
		s, err := Open(path)
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
	if _, err := Open(filepath.Join(t.TempDir(), "missing", "audit.jsonl")); err == nil {
		t.Fatal("opened a file in a folder that does not exist")
	}
}
