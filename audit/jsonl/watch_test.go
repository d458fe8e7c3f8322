package jsonl

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/audit"
)

// failingWriter fails while on is set, like a full disk.
type failingWriter struct{ on bool }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.on {
		return 0, errors.New("no space left on device")
	}
	return len(p), nil
}

func TestCheckFollowsTheLastWriteAndFsync(t *testing.T) {
	ctx := context.Background()
	ev := audit.Event{Type: "request.submitted", Outcome: audit.OK}
	w := &failingWriter{}
	s := New(w)
	if err := s.Check(ctx); err != nil || s.Name() != "file" {
		t.Fatalf("fresh sink: Check = %v, Name = %q", err, s.Name())
	}
	w.on = true
	if s.Write(ctx, ev) == nil {
		t.Fatal("a failing writer accepted the event")
	}
	if err := s.Check(ctx); err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("Check after a failed write = %v, want the cause", err)
	}
	w.on = false
	if err := s.Write(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check after a good write = %v", err)
	}
	if st := s.Stats(); st.Written != 1 || st.Failures != 1 || st.Pending != 0 {
		t.Fatalf("stats %+v, want 1 written, 1 failure", st)
	}

	f, err := Open(filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	fail := true
	f.fsync = func() error {
		if fail {
			return errors.New("EIO")
		}
		return nil
	}
	if f.Write(ctx, ev) == nil {
		t.Fatal("a failed fsync was not reported")
	}
	// The next line reaches the kernel, but the lost fsync still counts.
	if err := f.Append(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if err := f.Check(ctx); err == nil || !strings.Contains(err.Error(), "fsync") {
		t.Fatalf("Check after a failed fsync = %v", err)
	}
	fail = false
	if err := f.Write(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if err := f.Check(ctx); err != nil {
		t.Fatalf("Check after a good fsync = %v", err)
	}
	_ = f.Close()
	if err := f.Check(ctx); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Check on a closed sink = %v", err)
	}
}
