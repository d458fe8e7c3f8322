package store

import (
	"context"
	"time"
)

// Values is a Store seen through plain Go types, for code that keeps
// versioned values in the bot's store without importing this package:
// psa/local's tickets declare the interface Values meets. Its errors are
// the store's, whose NotFound() and Conflict() say what they mean.
type Values struct{ Store Store }

// Get returns the value and its version.
func (v Values) Get(ctx context.Context, key string) ([]byte, int64, error) {
	r, err := v.Store.Get(ctx, key)
	return r.Value, r.Version, err
}

// Create writes version 1 if key is absent.
func (v Values) Create(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	_, err := v.Store.Create(ctx, key, value, ttl)
	return err
}

// CompareAndSwap replaces the value if its version is still version.
func (v Values) CompareAndSwap(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) error {
	_, err := v.Store.CompareAndSwap(ctx, key, version, value, ttl)
	return err
}

// List returns the record keys with the prefix.
func (v Values) List(ctx context.Context, prefix string) ([]string, error) {
	return v.Store.List(ctx, prefix)
}
