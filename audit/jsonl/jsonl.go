// Package jsonl writes the audit trail as JSON lines to an append-only file,
// fsynced per event so an acknowledged event survives a crash.
package jsonl

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/unlockbot/unlockbot/audit"
)

// Sink appends events to a file or any writer.
type Sink struct {
	mu   sync.Mutex
	w    io.Writer
	f    *os.File
	sync bool
}

// Open appends to path (created 0600: the trail names people and accounts).
func Open(path string) (*Sink, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open %s: %w", path, err)
	}
	return &Sink{w: f, f: f, sync: true}, nil
}

// New writes to w (tests, stdout).
func New(w io.Writer) *Sink { return &Sink{w: w} }

// Write implements audit.Sink.
func (s *Sink) Write(_ context.Context, e audit.Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: encode: %w", err)
	}
	b = append(b, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(b); err != nil {
		return fmt.Errorf("audit: write: %w", err)
	}
	if s.sync {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("audit: sync: %w", err)
		}
	}
	return nil
}

// Close closes the file, if any.
func (s *Sink) Close() error {
	if s.f == nil {
		return nil
	}
	return s.f.Close()
}
