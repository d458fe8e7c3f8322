package typeahead

import (
	"context"
	"time"
)

// Run keeps the snapshot fresh until ctx ends: every interval it reads
// what changed, and it loads the snapshot as soon as a search asks for it.
// Nothing is read for an org nobody searches: the first search loads it,
// and after Options.Idle without one it is dropped (memory is per org
// served, not per org configured).
func (d *Directory) Run(ctx context.Context) {
	t := time.NewTicker(d.opt.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
		if err := d.tick(ctx, false); err != nil && ctx.Err() == nil {
			d.log.Warn().Err(err).Msg("type-ahead snapshot refresh failed; searching the directory directly meanwhile")
		}
	}
}

// Refresh brings the snapshot up to date now, loading it if needed.
func (d *Directory) Refresh(ctx context.Context) error { return d.tick(ctx, true) }

// Loaded reports whether a snapshot is held (for tests and metrics).
func (d *Directory) Loaded() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.snap != nil
}

func (d *Directory) tick(ctx context.Context, force bool) error {
	d.busy.Lock()
	defer d.busy.Unlock()
	now := d.now()
	used := time.Unix(0, d.used.Load())
	idle := d.opt.Idle > 0 && now.Sub(used) > d.opt.Idle
	if !d.Loaded() {
		if !force && (d.used.Load() == 0 || idle) {
			return nil
		}
		return d.load(ctx)
	}
	if idle && !force {
		d.mu.Lock()
		d.snap, d.cursor, d.seq = nil, "", 0
		d.mu.Unlock()
		d.log.Debug().Msg("type-ahead snapshot dropped: not searched for a while")
		return nil
	}
	if d.opt.Shared == nil {
		_, err := d.read(ctx, d.cursorFor(d.state()))
		return err
	}
	return d.refreshShared(ctx)
}

// load reads the whole directory into a new snapshot. With a shared log
// it notes the log's position first: the full read is at least as new, so
// the batches published after it apply on top.
func (d *Directory) load(ctx context.Context) error {
	seq := int64(-1) // not aligned with any log: the first one seen is caught up by a delta read
	if d.opt.Shared != nil {
		rec, ver, err := d.readLog(ctx)
		if err != nil {
			d.log.Warn().Err(err).Msg("type-ahead: the shared refresh log is unreadable; reading the directory")
		}
		if ver != 0 {
			seq = rec.Seq
		}
	}
	start := d.now()
	delta, err := d.src.Changes(ctx, "")
	if err != nil {
		return err
	}
	snap := build(delta.Changed)
	d.mu.Lock()
	d.snap, d.at, d.cursor, d.fullAt, d.seq = snap, start, delta.Cursor, start, seq
	d.mu.Unlock()
	d.used.CompareAndSwap(0, start.UnixNano())
	d.log.Debug().Int("accounts", len(snap.entries)).Dur("took", d.now().Sub(start)).Msg("type-ahead snapshot loaded")
	return nil
}

// state is the snapshot's position, read under the lock.
type state struct {
	cursor string
	fullAt time.Time
	seq    int64
}

func (d *Directory) state() state {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return state{d.cursor, d.fullAt, d.seq}
}

// cursorFor is the cursor to read from, or "" when a full read is due.
func (d *Directory) cursorFor(s state) string {
	if d.now().Sub(s.fullAt) >= d.opt.FullEvery {
		return ""
	}
	return s.cursor
}

// read asks the directory what changed since cursor, applies it and
// returns what it changed in the snapshot (the batch to share).
func (d *Directory) read(ctx context.Context, cursor string) (batch, error) {
	start := d.now()
	delta, err := d.src.Changes(ctx, cursor)
	if err != nil {
		return batch{}, err
	}
	d.mu.RLock()
	old := d.snap
	d.mu.RUnlock()
	b := old.diff(delta)
	next := old.apply(b)
	if delta.Full {
		next = build(delta.Changed) // same content, compact tables
	}
	d.mu.Lock()
	d.snap, d.at, d.cursor = next, start, delta.Cursor
	if delta.Full {
		d.fullAt = start
	}
	d.mu.Unlock()
	d.log.Debug().Int("read", len(delta.Changed)).Bool("full", delta.Full).Int("changed", len(b.Changed)).
		Int("removed", len(b.Removed)).Dur("took", d.now().Sub(start)).Msg("type-ahead snapshot refreshed")
	return b, nil
}

// applyBatches applies the shared log's batches after seq; false when the
// log no longer holds them all (this replica fell behind) or a full read's
// digest shows this snapshot disagrees with the directory.
func (d *Directory) applyBatches(rec logRecord) bool {
	d.mu.RLock()
	snap, seq := d.snap, d.seq
	d.mu.RUnlock()
	if len(rec.Batches) == 0 || rec.Batches[0].Seq > seq+1 {
		return false
	}
	for _, b := range rec.Batches {
		if b.Seq <= seq {
			continue
		}
		snap = snap.apply(b)
		if b.Digest != "" && snap.digest() != b.Digest {
			return false
		}
	}
	d.mu.Lock()
	d.snap, d.cursor, d.seq = snap, rec.Cursor, rec.Seq
	if rec.At.After(d.at) {
		d.at = rec.At
	}
	if rec.FullAt.After(d.fullAt) {
		d.fullAt = rec.FullAt
	}
	d.mu.Unlock()
	return true
}
