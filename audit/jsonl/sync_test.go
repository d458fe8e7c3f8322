package jsonl

import (
	"context"
	"errors"
	"testing"

	"github.com/unlockbot/unlockbot/audit"
)

var _ audit.Syncer = (*Sink)(nil)

// TestSyncFlushesWhatWasAppended: Sync costs one fsync for everything
// appended before it, none when nothing waits, and reports a sink that
// failed earlier rather than calling it durable.
func TestSyncFlushesWhatWasAppended(t *testing.T) {
	s, _ := openTemp(t)
	n := countSyncs(s)
	ctx := context.Background()
	for _, id := range []string{"a1", "a2"} {
		if err := s.Append(ctx, audit.Event{Type: "reset.started", RequestID: id, Outcome: audit.OK}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got != 1 {
		t.Fatalf("two appends and a sync cost %d fsyncs, want 1", got)
	}
	s.mu.Lock()
	synced, written := s.synced, s.written
	s.mu.Unlock()
	if synced != written {
		t.Fatalf("after Sync %d of %d lines are durable", synced, written)
	}
	if err := s.Sync(ctx); err != nil || n.Load() != 1 {
		t.Fatalf("a sync with nothing appended ran an fsync (%d) or failed: %v", n.Load(), err)
	}
	s.fsync = func() error { return errors.New("disk gone") }
	if err := s.Append(ctx, audit.Event{Type: "reset.started", RequestID: "a3", Outcome: audit.OK}); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err == nil {
		t.Fatal("a failed fsync was reported as durable")
	}
	if err := s.Sync(ctx); err == nil {
		t.Fatal("a sink that failed once called itself durable on the next Sync")
	}
}
