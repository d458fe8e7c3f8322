package local

import (
	"context"
	"errors"
	"time"
)

// Store is the versioned key-value storage local tickets live in. It is
// declared here, with only the calls Tickets makes, so psa/local depends on
// no bot/ package: cmd hands in the bot's state store through a thin
// translation (its Record and sentinel errors are bot/store types).
type Store interface {
	// Get returns the current record or an error wrapping ErrNotFound.
	Get(ctx context.Context, key string) (Record, error)
	// Create writes version 1 if key is absent, else an error wrapping
	// ErrConflict.
	Create(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// CompareAndSwap replaces the value only if the stored version equals
	// version, else an error wrapping ErrConflict. Zero ttl: no expiry.
	CompareAndSwap(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) error
	// List returns the keys with the given prefix, in no promised order.
	List(ctx context.Context, prefix string) ([]string, error)
}

// Record is one versioned value; Version grows on every swap.
type Record struct {
	Version int64
	Value   []byte
}

var (
	// ErrNotFound: no record under the key (or it expired).
	ErrNotFound = errors.New("local store: not found")
	// ErrConflict: the key exists (Create) or its version moved on
	// (CompareAndSwap); Tickets reloads and tries again.
	ErrConflict = errors.New("local store: version conflict")
)
