package memstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// kindPace is a line's next send slot. It sits apart from the kinds in
// memstore.go so other kinds can be added there without touching this.
const kindPace kind = 16

var errInterval = errors.New("memstore: pacing interval must be positive")

// Pace implements store.Store with the same arithmetic, in Unix
// microseconds, as the Redis script. A pace item keeps its theoretical
// arrival time (the slot after the last one handed out, minus the burst
// allowance) in version.
func (s *Store) Pace(ctx context.Context, key string, now time.Time, p store.Pacing) (time.Duration, error) {
	const op = "memstore.Pace"
	if p.Interval <= 0 {
		return 0, fmt.Errorf("%s %q: %w", op, key, errInterval)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.lookup(ctx, key, kindPace)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", op, key, err)
	}
	at := now.UnixMicro()
	var nb int64
	if !p.NotBefore.IsZero() {
		nb = p.NotBefore.UnixMicro()
	}
	tat := at
	if it != nil {
		tat = max(it.version, at)
	} else {
		it = &item{kind: kindPace}
	}
	slot, next := paceStep(tat, at, p.Interval.Microseconds(), int64(p.BurstOrOne()), nb)
	it.version = next
	it.expires = s.deadline(time.Duration(next-at) * time.Microsecond) // by the store's clock, as Redis's PX
	s.put(key, it)
	return time.Duration(slot-at) * time.Microsecond, nil
}

// paceStep is one reservation: tat is the stored arrival time (at least
// now), nb the hold (0: none). It returns the slot handed out and the
// arrival time to store.
func paceStep(tat, now, interval, burst, nb int64) (slot, next int64) {
	allowance := (burst - 1) * interval
	if nb > 0 {
		tat = max(tat, nb+allowance)
	}
	return max(now, tat-allowance), tat + interval
}
