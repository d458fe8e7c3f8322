package jsonl

import (
	"bytes"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/unlockbot/unlockbot/audit"
)

func testKeys(t testing.TB) *audit.Keyring {
	t.Helper()
	k, err := audit.NewKeyring("t1", map[string][]byte{"t1": bytes.Repeat([]byte("k"), 32)})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// openTemp opens a sink on a fresh file, closed when the test ends.
func openTemp(t *testing.T) (*Sink, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	s, err := Open(path, testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// countSyncs makes the sink count its real fsyncs.
func countSyncs(s *Sink) *atomic.Int64 {
	var n atomic.Int64
	s.fsync = func() error { n.Add(1); return s.f.Sync() }
	return &n
}
