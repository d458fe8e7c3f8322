// Package jsonl writes the audit trail as JSON lines to an append-only file.
// Write fsyncs before it returns; Append hands the line to the kernel and
// fsyncs within FlushDelay (or with the next Write), so a reset waits for
// the disk only where the flow needs it.
package jsonl

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/unlockbot/unlockbot/audit"
)

// FlushDelay bounds how long an appended event may wait for its fsync.
const FlushDelay = 100 * time.Millisecond

// Sink appends events to a file or any writer.
type Sink struct {
	mu    sync.Mutex
	w     io.Writer
	f     *os.File
	sync  bool
	dirty bool        // appended since the last fsync
	timer *time.Timer // pending delayed fsync
	err   error       // a delayed fsync that failed, reported by the next call
	fsync func() error
	watch watch // what Check and Stats report, readable while a write holds mu
}

var (
	_ audit.Appender = (*Sink)(nil)
	_ audit.Watched  = (*Sink)(nil)
)

// Open appends to path (created 0600: the trail names people and accounts).
func Open(path string) (*Sink, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open %s: %w", path, err)
	}
	return &Sink{w: f, f: f, sync: true, fsync: f.Sync}, nil
}

// New writes to w (tests, stdout).
func New(w io.Writer) *Sink { return &Sink{w: w} }

// Write implements audit.Sink: the event and everything appended before it
// are on disk when it returns nil.
func (s *Sink) Write(_ context.Context, e audit.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.append(e); err != nil {
		return err
	}
	return s.flush()
}

// Append implements audit.Appender.
func (s *Sink) Append(_ context.Context, e audit.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.append(e); err != nil {
		return err
	}
	if s.sync && s.timer == nil {
		s.timer = time.AfterFunc(FlushDelay, s.delayedFlush)
	}
	return nil
}

// append writes one line; s.mu is held.
func (s *Sink) append(e audit.Event) error {
	if s.err != nil {
		err := s.err
		s.err = nil
		return err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: encode: %w", err)
	}
	if _, err := s.w.Write(append(b, '\n')); err != nil {
		s.watch.failed(&s.watch.write, err)
		return fmt.Errorf("audit: write: %w", err)
	}
	s.watch.written.Add(1)
	s.watch.write.Store(nil)
	s.dirty = true
	return nil
}

// flush fsyncs what was written; s.mu is held.
func (s *Sink) flush() error {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if !s.sync || !s.dirty {
		return nil
	}
	if err := s.fsync(); err != nil {
		s.watch.failed(&s.watch.sync, err)
		return fmt.Errorf("audit: sync: %w", err)
	}
	s.watch.sync.Store(nil)
	s.dirty = false
	return nil
}

func (s *Sink) delayedFlush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timer = nil
	if err := s.flush(); err != nil {
		s.err = err // the next Write or Append reports it
	}
}

// Close flushes and closes the file, if any.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	s.watch.closed.Store(true)
	return err
}
