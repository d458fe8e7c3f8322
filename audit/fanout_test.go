package audit

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

// recordSink remembers what it was given and how.
type recordSink struct {
	mu      sync.Mutex
	writes  []string
	appends []string
	fail    error
}

func (s *recordSink) Write(_ context.Context, e Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, e.Type)
	return s.fail
}

// writeOnly has no Append: a Fanout must Write to it.
type writeOnly struct{ *recordSink }

type appending struct{ *recordSink }

func (s appending) Append(_ context.Context, e Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appends = append(s.appends, e.Type)
	return s.fail
}

func TestFanoutWritesEverySinkAndFailsIfOneFails(t *testing.T) {
	ctx := context.Background()
	a, b := &recordSink{}, &recordSink{}
	f := Fanout{appending{a}, writeOnly{b}}
	if err := f.Write(ctx, Event{Type: "x.durable"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Append(ctx, Event{Type: "x.report"}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(a.writes, ",") != "x.durable" || strings.Join(a.appends, ",") != "x.report" {
		t.Fatalf("appender got writes %v appends %v", a.writes, a.appends)
	}
	if strings.Join(b.writes, ",") != "x.durable,x.report" {
		t.Fatalf("a sink without Append got %v: an append must become a write", b.writes)
	}
	b.fail = errors.New("stream down")
	if err := f.Write(ctx, Event{Type: "y"}); err == nil || !strings.Contains(err.Error(), "stream down") {
		t.Fatalf("one failing sink must fail the write: %v", err)
	}
	if err := f.Append(ctx, Event{Type: "z"}); err == nil {
		t.Fatal("one failing sink must fail the append")
	}
	if len(a.writes) != 2 || len(a.appends) != 2 {
		t.Fatal("the healthy sink missed an event because another failed")
	}
	one := Fanout{writeOnly{b}}
	if err := one.Write(ctx, Event{Type: "w"}); err == nil {
		t.Fatal("a single failing sink's error was lost")
	}
}

// syncing is an appender whose appends need a Sync to be durable.
type syncing struct {
	appending
	syncs int
}

func (s *syncing) Sync(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncs++
	return s.fail
}

// TestFanoutSyncAsksOnlySinksThatNeedIt: a sink whose Append is a write is
// durable already; a Syncer is asked, and its failure fails the Sync.
func TestFanoutSyncAsksOnlySinksThatNeedIt(t *testing.T) {
	ctx := context.Background()
	y, w := &syncing{appending: appending{&recordSink{}}}, &recordSink{}
	f := Fanout{y, writeOnly{w}}
	if err := f.Append(ctx, Event{Type: "x.started"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(ctx); err != nil || y.syncs != 1 {
		t.Fatalf("sync: %v, syncer asked %d times, want 1", err, y.syncs)
	}
	if len(w.writes) != 1 {
		t.Fatalf("the write-only sink got %v: Sync must not write again", w.writes)
	}
	y.fail = errors.New("disk gone")
	if err := f.Sync(ctx); err == nil || !strings.Contains(err.Error(), "disk gone") {
		t.Fatalf("a failing syncer's error was lost: %v", err)
	}
}
