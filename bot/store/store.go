// Package store is the state the flow keeps between chat events: versioned
// records changed only by compare-and-swap, one-shot markers for replay
// protection, and sliding-window counters for rate limits. Two
// implementations (memory and Redis) pass the same contract suite in
// storetest, so the embedded default behaves exactly like production.
package store

import (
	"context"
	"time"
)

var (
	// ErrNotFound: no record under that key (or it expired).
	ErrNotFound error = &sentinel{msg: "store: not found", notFound: true}
	// ErrConflict: the record exists already (Create) or its version moved
	// on (CompareAndSwap). The caller reloads and decides again.
	ErrConflict error = &sentinel{msg: "store: version conflict", conflict: true}
)

// sentinel errors also say what they mean through NotFound() and
// Conflict(), so code that keeps values in the store without importing
// this package (psa/local, through Values) can tell them apart.
type sentinel struct {
	msg                string
	notFound, conflict bool
}

func (e *sentinel) Error() string  { return e.msg }
func (e *sentinel) NotFound() bool { return e.notFound }
func (e *sentinel) Conflict() bool { return e.conflict }

// Record is one versioned value. Version starts at 1 and grows by one on
// every successful swap.
type Record struct {
	Key     string
	Version int64
	Value   []byte
}

// Store is what bot/ and psa/local need. All methods are safe for concurrent
// use by many goroutines and, for Redis, many processes.
type Store interface {
	// Get returns the current record or ErrNotFound.
	Get(ctx context.Context, key string) (Record, error)
	// Create writes version 1 if the key is absent, else ErrConflict.
	Create(ctx context.Context, key string, value []byte, ttl time.Duration) (Record, error)
	// CompareAndSwap replaces the value only if the stored version equals
	// version, else ErrConflict (ErrNotFound if the key is gone). ttl resets
	// the expiry; zero keeps no expiry.
	CompareAndSwap(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) (Record, error)
	// Delete removes the key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Mark sets a one-shot marker: true the first time for a key within ttl,
	// false afterwards (replay and retry protection). It is false too if the
	// key holds anything else, and a ttl of zero never expires.
	Mark(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Reserve adds member to the sliding window at key if fewer than limit
	// members fall inside [now-window, now]. Re-adding an existing member
	// succeeds without counting twice (a retried reset is the same reset).
	// It returns whether the member is in the window and the count after.
	// The caller passes now so the window is testable; window must be > 0.
	Reserve(ctx context.Context, key, member string, now time.Time, window time.Duration, limit int) (bool, int, error)
	// Release takes member out of the window at key, freeing its place
	// (an open request that ended). A member or key that is not there is
	// not an error.
	Release(ctx context.Context, key, member string) error
	// Pace reserves the next free send slot on the line at key and
	// returns how long after now it starts (0: send now). Every replica
	// sharing the store shares the line, so together they never exceed p.
	// The caller passes now (clocks of replicas are assumed in step within
	// a few ms); the key expires once the line has been idle long enough
	// to forget it. Interval must be > 0.
	Pace(ctx context.Context, key string, now time.Time, p Pacing) (time.Duration, error)
	// List returns the keys with the given prefix, of every kind, in no
	// promised order (small sets only: an org's local tickets, a sweep of
	// requests; Redis scans its whole key space).
	List(ctx context.Context, prefix string) ([]string, error)
	// DueSet keeps deadlines for the sweeper (dueset.go).
	DueSet
	// Close releases connections.
	Close() error
}
