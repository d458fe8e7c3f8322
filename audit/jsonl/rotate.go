package jsonl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/unlockbot/unlockbot/audit"
)

// A trail outlives its files: logrotate renames the file and starts a new
// one, or truncates it in place (copytruncate). Either way the next record
// written is an audit.Continued record that links to the last record of
// the file before, so `unlockbot audit verify --file old --file new`
// checks the whole trail and each file alone still proves where it starts.

// openFile opens (or reopens after a rotation) the file at s.path and its
// head file; s.mu is held or the sink is not shared yet.
func (s *Sink) openFile() error {
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("audit: open %s: %w", s.path, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("audit: open %s: %w", s.path, err)
	}
	if s.head == nil {
		h, err := os.OpenFile(s.path+".head", os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			f.Close()
			return fmt.Errorf("audit: open %s.head: %w", s.path, err)
		}
		s.head = h
	}
	s.f, s.w, s.size = f, f, info.Size()
	return nil
}

// followRotation reopens the file when it was moved away or truncated, and
// starts the new one with a Continued record; s.mu is held.
func (s *Sink) followRotation() error {
	if s.f == nil {
		return nil
	}
	now, err := os.Stat(s.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("audit: check %s: %w", s.path, err)
	}
	mine, err2 := s.f.Stat()
	if err2 != nil {
		return fmt.Errorf("audit: check %s: %w", s.path, err2)
	}
	var why string
	switch {
	case err != nil || !os.SameFile(now, mine):
		why = "the file was rotated"
		// What is still unsynced belongs to the old file: sync it first.
		if s.written > s.synced {
			if err := s.syncer()(); err != nil {
				return fmt.Errorf("audit: sync %s before rotation: %w", s.path, err)
			}
			s.synced = s.written
			s.saveHead(s.chain.At())
		}
		s.f.Close()
		if err := s.openFile(); err != nil {
			return err
		}
	case now.Size() < s.size:
		why = "the file was truncated"
		s.size = now.Size()
	default:
		return nil
	}
	line, err := s.chain.Seal(audit.Event{Time: time.Now().UTC(), Type: audit.Continued, Outcome: audit.OK, Detail: map[string]string{"why": why}})
	if err != nil {
		return err
	}
	line = append(line, '\n')
	if _, err := s.w.Write(line); err != nil {
		return fmt.Errorf("audit: write %s: %w", s.path, err)
	}
	s.written++
	s.size += int64(len(line))
	return nil
}

// head is the chain's last link as saved next to the file.
type head struct {
	Chain string `json:"chain"`
	audit.Link
}

// saveHead records the last synced link in path.head, overwriting it in
// place. It is not fsynced: it only matters when the file was rotated
// while unlockbot was stopped, and a stale head shows up in verify as a
// broken link, never as a silent gap.
func (s *Sink) saveHead(at audit.Link) {
	if s.head == nil {
		return
	}
	// Overwritten in place without truncating: a shorter head leaves the
	// tail of the longer one after it, which the reader ignores (it reads
	// the first JSON value only).
	b, _ := json.Marshal(head{Chain: s.chain.ID(), Link: at})
	_, _ = s.head.WriteAt(append(b, '\n'), 0)
}

// resume finds where the chain stands: after the last record of the file,
// or, when the file is empty, after the link saved in its head file (then
// continued is true and Open writes a Continued record first).
func resume(path string, keys *audit.Keyring) (at audit.Link, continued bool, err error) {
	last, err := lastLine(path)
	if err != nil {
		return at, false, err
	}
	if last == nil {
		b, err := os.ReadFile(path + ".head")
		if err != nil || len(bytes.TrimSpace(b)) == 0 {
			return at, false, nil // a new trail
		}
		var h head
		if err := json.NewDecoder(bytes.NewReader(b)).Decode(&h); err != nil || h.Seq == 0 {
			return at, false, fmt.Errorf("audit: %s.head is damaged; move it away to start a new trail, and keep the old files for verify", path)
		}
		return h.Link, true, nil
	}
	r, err := keys.Open(last)
	if err != nil {
		return at, false, fmt.Errorf("audit: the last record in %s does not verify (%v); keep its key in audit.hmac_keys, or start a new file", path, err)
	}
	return audit.Link{Seq: r.Seq, Hash: audit.Hash(last)}, false, nil
}

// lastLine reads the last complete line of path; nil when there is none.
func lastLine(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit: read %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("audit: read %s: %w", path, err)
	}
	n := min(info.Size(), audit.MaxLine+1)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, info.Size()-n); err != nil && err != io.EOF {
		return nil, fmt.Errorf("audit: read %s: %w", path, err)
	}
	buf = bytes.TrimRight(buf, "\n")
	if len(buf) == 0 {
		return nil, nil
	}
	if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
		buf = buf[i+1:]
	}
	return buf, nil
}

// chainID names the file's chain after the host and the file's name, so
// the trails of several replicas never pass for one another.
func chainID(path string) string {
	host, _ := os.Hostname()
	return "file:" + host + ":" + filepath.Base(path)
}

// Name implements audit.Watched.
func (s *Sink) Name() string { return "file" }

// Check implements audit.Watched: the file is open and nothing failed.
func (s *Sink) Check(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.err != nil:
		return s.err
	case s.w == nil:
		return ErrClosed
	}
	return nil
}

// Stats implements audit.Watched.
func (s *Sink) Stats() audit.SinkStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := audit.SinkStats{Written: s.synced, Failures: s.failures, Pending: int(s.written - s.synced)}
	if st.Pending > 0 {
		st.Lag = time.Since(s.oldest)
	}
	return st
}
