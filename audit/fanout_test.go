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
