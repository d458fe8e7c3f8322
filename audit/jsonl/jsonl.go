// Package jsonl writes the audit trail as sealed JSON lines (audit.Record)
// to an append-only file. Write returns once its line and every line
// before it are on disk; concurrent Writes share one fsync (group commit),
// and Append hands a line to the kernel and leaves its fsync to the next
// Write or to FlushDelay, so a reset waits for the disk only where the flow
// needs it. A rotated or truncated file continues the chain (rotate.go).
package jsonl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/unlockbot/unlockbot/audit"
)

// FlushDelay bounds how long an appended event may wait for its fsync.
const FlushDelay = 100 * time.Millisecond

// Sink appends sealed records to a file or any writer.
type Sink struct {
	mu    sync.Mutex
	done  *sync.Cond // broadcast when a group fsync ends
	w     io.Writer
	f     *os.File
	path  string
	size  int64 // bytes in the file as far as we know, to spot truncation
	chain *audit.Chain

	written uint64 // lines written so far
	synced  uint64 // lines known to be on disk
	syncing bool   // a group fsync is running
	err     error  // sticky: after a failed write or fsync nothing is trusted
	timer   *time.Timer
	fsync   func() error
	head    *os.File // path + ".head": the chain's last link, for a restart on a rotated file

	failures uint64
	oldest   time.Time // first line not yet synced
}

var (
	_ audit.Appender = (*Sink)(nil)
	_ audit.Watched  = (*Sink)(nil)
)

// ErrClosed is returned after Close.
var ErrClosed = errors.New("audit: the audit file is closed")

// Open appends to path (created 0600: the trail names people and accounts),
// continuing the chain of the records already there.
func Open(path string, keys *audit.Keyring) (*Sink, error) {
	if keys == nil {
		return nil, errors.New("audit: no HMAC key: set audit.hmac_keys in the config")
	}
	s := &Sink{path: path}
	s.done = sync.NewCond(&s.mu)
	if err := s.openFile(); err != nil {
		return nil, err
	}
	at, continued, err := resume(path, keys)
	if err != nil {
		s.f.Close()
		s.head.Close()
		return nil, err
	}
	s.chain = audit.NewChain(keys, chainID(path), at)
	if continued {
		if err := s.writeLine(audit.Event{Time: time.Now().UTC(), Type: audit.Continued, Outcome: audit.OK,
			Detail: map[string]string{"why": "the file was empty: it was rotated or removed while unlockbot was stopped"}}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// New writes sealed lines to w without fsync (tests, the demo). A nil
// keyring seals with a random key that lives as long as the process.
func New(w io.Writer, keys *audit.Keyring) *Sink {
	if keys == nil {
		keys = audit.EphemeralKeyring()
	}
	s := &Sink{w: w, chain: audit.NewChain(keys, "writer", audit.Link{})}
	s.done = sync.NewCond(&s.mu)
	return s
}

// Write implements audit.Sink: the event and everything appended before it
// are on disk when it returns nil. Writers that arrive while an fsync runs
// wait for the next one, which covers all of them.
func (s *Sink) Write(_ context.Context, e audit.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writeLine(e); err != nil {
		return err
	}
	return s.waitSynced(s.written)
}

// Append implements audit.Appender.
func (s *Sink) Append(_ context.Context, e audit.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writeLine(e); err != nil {
		return err
	}
	if s.f != nil && s.timer == nil {
		s.timer = time.AfterFunc(FlushDelay, s.delayedFlush)
	}
	return nil
}

// Sync implements audit.Syncer: every line written before it is on disk
// when it returns nil, sharing an fsync that is running or due.
func (s *Sink) Sync(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	return s.waitSynced(s.written)
}

// writeLine seals e and writes its line; s.mu is held.
func (s *Sink) writeLine(e audit.Event) error {
	if s.err != nil {
		return s.err
	}
	if s.w == nil {
		return ErrClosed
	}
	if err := s.followRotation(); err != nil {
		return s.fail(err)
	}
	line, err := s.chain.Seal(e)
	if err != nil {
		return err // nothing written, the chain did not move: not fatal
	}
	line = append(line, '\n')
	if _, err := s.w.Write(line); err != nil {
		return s.fail(fmt.Errorf("audit: write %s: %w", s.name(), err))
	}
	if s.written == s.synced {
		s.oldest = time.Now()
	}
	s.written++
	s.size += int64(len(line))
	if s.f == nil { // a plain writer has nothing to sync
		s.synced = s.written
	}
	return nil
}

// waitSynced returns once line n is on disk; s.mu is held. The first
// waiter runs the fsync with the lock released, so lines written during it
// queue up for the next one.
func (s *Sink) waitSynced(n uint64) error {
	for s.synced < n {
		if s.err != nil {
			return s.err
		}
		if s.syncing {
			s.done.Wait()
			continue
		}
		s.syncOnce()
	}
	return nil
}

// syncOnce runs one group fsync; s.mu is held and released around it.
func (s *Sink) syncOnce() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	target, at := s.written, s.chain.At()
	fsync := s.syncer()
	s.syncing = true
	s.mu.Unlock()
	err := fsync()
	s.mu.Lock()
	s.syncing = false
	if err != nil {
		s.fail(fmt.Errorf("audit: sync %s: %w", s.name(), err))
	} else if target > s.synced {
		s.synced = target
		s.saveHead(at)
		if s.synced < s.written {
			s.oldest = time.Now()
		}
	}
	s.done.Broadcast()
}

// syncer is the file's fsync (tests put a hook in its place).
func (s *Sink) syncer() func() error {
	if s.fsync != nil {
		return s.fsync
	}
	return s.f.Sync
}

// fail makes err sticky: after a failed write or fsync the kernel may have
// dropped lines, so nothing later is acknowledged either (fail closed).
func (s *Sink) fail(err error) error {
	if s.err == nil {
		s.err = err
	}
	s.failures++
	s.done.Broadcast()
	return s.err
}

func (s *Sink) delayedFlush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timer = nil
	if s.f != nil && s.err == nil && !s.syncing && s.synced < s.written {
		s.syncOnce()
	}
}

func (s *Sink) name() string {
	if s.path == "" {
		return "the audit writer"
	}
	return s.path
}

// Close flushes and closes the file, if any.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return nil
	}
	err := s.waitSynced(s.written)
	if s.f != nil {
		if cerr := s.f.Close(); err == nil {
			err = cerr
		}
		s.head.Close()
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	s.w, s.f = nil, nil
	return err
}
