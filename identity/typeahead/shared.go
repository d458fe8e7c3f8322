package typeahead

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Shared is the little the replicas share to keep one refresher per org
// (the bot's store; Redis in production). The wiring adapts the store to it,
// so this package stays free of bot/.
//
// The design, and why: each replica keeps its own snapshot in memory
// (searches stay local and microsecond-fast), but only the holder of the
// org's lease reads the directory. It publishes each refresh as a small
// batch (the accounts that changed, the IDs that went) in a log record
// that keeps the last batches; the others apply the batches in order. So
// the domain controllers see one delta read per org per interval, however
// many replicas run, and Redis holds a few kilobytes per org rather than
// every org's accounts (a million entries at MSP scale). What it costs:
// each replica reads an org in full once when it first serves it (and
// again after dropping it when idle), and a replica that falls behind the
// log reads the delta itself.
type Shared interface {
	// Lease takes or renews key for owner until ttl passes; false when
	// another owner holds it.
	Lease(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)
	// Get returns the value at key and its version (0 and nil: absent).
	Get(ctx context.Context, key string) ([]byte, int64, error)
	// Put writes value at key if its version is still version (0: the key
	// must be absent); false when another writer got there first.
	Put(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) (bool, error)
}

// logRecord is an org's shared refresh log. Batch n turns the snapshot at
// n-1 into the snapshot at n; Cursor is the directory's cursor after Seq.
type logRecord struct {
	Seq     int64     `json:"seq"`
	Cursor  string    `json:"cursor"`
	At      time.Time `json:"at"`      // when the holder read the directory for Seq
	FullAt  time.Time `json:"full_at"` // the last full read
	Batches []batch   `json:"batches"`
}

// Bounds of the log: enough for a replica that missed a few intervals;
// one further behind reads the directory's delta itself.
const (
	keepBatches = 30
	keepRows    = 5000
	logTTL      = 24 * time.Hour
)

func (d *Directory) key(what string) string { return "typeahead:" + d.opt.Key + ":" + what }

// readLog returns the org's log and its version (zero values when none).
func (d *Directory) readLog(ctx context.Context) (logRecord, int64, error) {
	var rec logRecord
	raw, ver, err := d.opt.Shared.Get(ctx, d.key("log"))
	if err != nil || ver == 0 {
		return rec, 0, err
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return logRecord{}, ver, fmt.Errorf("type-ahead log %s: %w", d.key("log"), err)
	}
	return rec, ver, nil
}

// refreshShared is one interval with a shared log: catch up with the
// published batches, then, as the lease holder only, read the directory
// from the log's cursor and publish the result.
func (d *Directory) refreshShared(ctx context.Context) error {
	rec, ver, err := d.readLog(ctx)
	if err != nil {
		return err
	}
	holder, err := d.opt.Shared.Lease(ctx, d.key("lease"), d.opt.Owner, 2*d.opt.Every)
	if err != nil {
		return fmt.Errorf("type-ahead lease: %w", err)
	}
	if st := d.state(); rec.Seq > st.seq && !d.applyBatches(rec) {
		// Behind the log's memory, or a full read's digest disagrees:
		// read the directory itself, from our cursor, or in full when a
		// full read (which removes deleted accounts) happened since.
		cursor := d.cursorFor(st)
		if rec.FullAt.After(st.fullAt) {
			cursor = ""
		}
		if _, err := d.read(ctx, cursor); err != nil {
			return err
		}
		d.mu.Lock()
		d.seq = rec.Seq
		d.mu.Unlock()
	}
	if !holder {
		return nil
	}
	st := d.state()
	from := state{cursor: rec.Cursor, fullAt: rec.FullAt}
	if ver == 0 {
		from = st
	}
	start := d.now()
	b, err := d.read(ctx, d.cursorFor(from))
	if err != nil {
		return err
	}
	d.mu.RLock()
	next := logRecord{Seq: rec.Seq + 1, Cursor: d.cursor, At: start, FullAt: from.fullAt}
	d.mu.RUnlock()
	if b.Digest != "" {
		next.FullAt = start
	}
	b.Seq = next.Seq
	next.Batches = trimBatches(append(rec.Batches, b))
	raw, err := json.Marshal(next)
	if err != nil {
		return err
	}
	ok, err := d.opt.Shared.Put(ctx, d.key("log"), ver, raw, logTTL)
	if err != nil {
		return fmt.Errorf("type-ahead log: %w", err)
	}
	if ok {
		d.mu.Lock()
		d.seq = next.Seq
		d.mu.Unlock()
	}
	// Not ok: another replica published meanwhile (a lease just taken
	// over); this snapshot has the read applied, the next interval
	// follows the log.
	return nil
}

// trimBatches keeps the newest batches within the log's bounds.
func trimBatches(bs []batch) []batch {
	rows, i := 0, len(bs)
	for i > 0 && len(bs)-i < keepBatches {
		rows += len(bs[i-1].Changed) + len(bs[i-1].Removed)
		if rows > keepRows && i < len(bs) {
			break
		}
		i--
	}
	return bs[i:]
}
