package local

import (
	"context"
	"errors"
	"time"
)

// Store is the versioned key-value storage local tickets live in. It is
// declared here, in plain Go types and with only the calls Tickets makes,
// so psa/local depends on no bot/ package: the bot's state store meets it
// through store.Values.
type Store interface {
	// Get returns the current value and its version, or a not-found error.
	Get(ctx context.Context, key string) (value []byte, version int64, err error)
	// Create writes version 1 if key is absent, else a conflict error.
	Create(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// CompareAndSwap replaces the value only if the stored version equals
	// version, else a conflict error. Zero ttl: no expiry.
	CompareAndSwap(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) error
	// List returns the keys with the given prefix, in no promised order.
	List(ctx context.Context, prefix string) ([]string, error)
}

// A Store says "not found" or "conflict" with ErrNotFound / ErrConflict in
// its error chain, or with an error in the chain whose NotFound() or
// Conflict() method answers true (the bot's state store does).
var (
	// ErrNotFound: no record under the key (or it expired).
	ErrNotFound = errors.New("local store: not found")
	// ErrConflict: the key exists (Create) or its version moved on
	// (CompareAndSwap); Tickets reloads and tries again.
	ErrConflict = errors.New("local store: version conflict")
)

func isNotFound(err error) bool {
	var b interface{ NotFound() bool }
	return errors.Is(err, ErrNotFound) || (errors.As(err, &b) && b.NotFound())
}

func isConflict(err error) bool {
	var b interface{ Conflict() bool }
	return errors.Is(err, ErrConflict) || (errors.As(err, &b) && b.Conflict())
}
