package jsonl

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/unlockbot/unlockbot/audit"
)

// watch is the sink's health, kept in atomics so /readyz never waits
// behind a write or an fsync that hangs with the sink's lock held.
type watch struct {
	written  atomic.Uint64
	failures atomic.Uint64
	closed   atomic.Bool
	// The last write and the last fsync, when they failed. Each is cleared
	// only by its own kind succeeding: a line the kernel took does not make
	// up for an fsync that lost earlier lines.
	write, sync atomic.Pointer[error]
}

func (w *watch) failed(p *atomic.Pointer[error], err error) {
	w.failures.Add(1)
	p.Store(&err)
}

// Name implements audit.Watched.
func (s *Sink) Name() string { return "file" }

// Check implements audit.Watched: the file is open and the last write or
// fsync succeeded. It does not write: a probe must not add to the trail.
func (s *Sink) Check(context.Context) error {
	if s.watch.closed.Load() {
		return errors.New("the audit file is closed; restart unlockbot")
	}
	if p := s.watch.write.Load(); p != nil {
		return errors.New("the last audit write failed (" + (*p).Error() + "); check the disk holding the audit file")
	}
	if p := s.watch.sync.Load(); p != nil {
		return errors.New("the last audit fsync failed (" + (*p).Error() + "); check the disk holding the audit file")
	}
	return nil
}

// Stats implements audit.Watched. An appended line is handed to the kernel
// before Append returns, so nothing is ever pending in the sink itself.
func (s *Sink) Stats() audit.SinkStats {
	return audit.SinkStats{Written: s.watch.written.Load(), Failures: s.watch.failures.Load()}
}
