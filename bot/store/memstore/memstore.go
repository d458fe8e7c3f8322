// Package memstore is the in-process store.Store: the zero-setup default for a
// single replica and the store unit tests use. It passes the same contract
// suite (storetest) as the Redis store, so code that works here behaves the
// same in production; it just does not survive a restart or share state
// between processes.
package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// sweepEvery bounds memory: expiry is otherwise lazy (checked when a key is
// read), so markers that are never read again would pile up forever.
const sweepEvery = 1024

var (
	errClosed    = errors.New("memstore: store is closed")
	errWrongKind = errors.New("memstore: key holds another kind of value")
	errWindow    = errors.New("memstore: window must be positive")
)

type kind uint8

const (
	kindRecord kind = iota + 1
	kindMarker
	kindWindow
)

// item is one key. The three kinds share one key space, as in Redis, so a
// Create on a key used as a marker conflicts rather than silently coexisting.
type item struct {
	kind    kind
	version int64
	value   []byte
	expires time.Time        // zero: never
	members map[string]int64 // window member → added at (Unix µs, like Redis)
}

// Store is safe for concurrent use. The zero value is not usable; call New.
type Store struct {
	now func() time.Time

	mu     sync.Mutex
	items  map[string]*item
	writes int
	closed bool
}

var _ store.Store = (*Store)(nil)

// Option configures New.
type Option func(*Store)

// WithClock replaces time.Now for TTLs, so tests can expire keys without
// sleeping. Reserve takes its time from the caller and ignores the clock
// except for dropping an idle window key.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// New returns an empty store.
func New(opts ...Option) *Store {
	s := &Store{now: time.Now, items: make(map[string]*item)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Get returns a copy of the record, so callers cannot change stored state.
func (s *Store) Get(ctx context.Context, key string) (store.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.record(ctx, "memstore.Get", key)
	if err != nil {
		return store.Record{}, err
	}
	return store.Record{Key: key, Version: it.version, Value: cloneValue(it.value)}, nil
}

// record finds an existing record for op, with s.mu held.
func (s *Store) record(ctx context.Context, op, key string) (*item, error) {
	it, err := s.lookup(ctx, key, kindRecord)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", op, key, err)
	}
	if it == nil {
		return nil, fmt.Errorf("%s %q: %w", op, key, store.ErrNotFound)
	}
	return it, nil
}

// Create stores a copy of value; the returned Record holds the caller's slice.
func (s *Store) Create(ctx context.Context, key string, value []byte, ttl time.Duration) (store.Record, error) {
	const op = "memstore.Create"
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.lookup(ctx, key, 0)
	if err != nil {
		return store.Record{}, fmt.Errorf("%s %q: %w", op, key, err)
	}
	if it != nil {
		return store.Record{}, fmt.Errorf("%s %q: %w", op, key, store.ErrConflict)
	}
	s.put(key, &item{kind: kindRecord, version: 1, value: cloneValue(value), expires: s.deadline(ttl)})
	return store.Record{Key: key, Version: 1, Value: value}, nil
}

// CompareAndSwap stores a copy of value; the returned Record holds the
// caller's slice.
func (s *Store) CompareAndSwap(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) (store.Record, error) {
	const op = "memstore.CompareAndSwap"
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.record(ctx, op, key)
	if err != nil {
		return store.Record{}, err
	}
	if it.version != version {
		return store.Record{}, fmt.Errorf("%s %q: have version %d, want %d: %w", op, key, it.version, version, store.ErrConflict)
	}
	it.version++
	it.value = cloneValue(value)
	it.expires = s.deadline(ttl)
	s.wrote()
	return store.Record{Key: key, Version: it.version, Value: value}, nil
}

// Delete removes the key whatever it holds.
func (s *Store) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return fmt.Errorf("memstore.Delete %q: %w", key, err)
	}
	delete(s.items, key)
	return nil
}

// Mark reports false if the key exists in any form, like SET NX in Redis.
// A ttl of zero or less makes a marker that never expires.
func (s *Store) Mark(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.lookup(ctx, key, 0)
	if err != nil {
		return false, fmt.Errorf("memstore.Mark %q: %w", key, err)
	}
	if it != nil {
		return false, nil
	}
	s.put(key, &item{kind: kindMarker, expires: s.deadline(ttl)})
	return true, nil
}

// Reserve keeps times at microsecond precision, as the Redis store does, so
// both agree on which member sits exactly on the window's edge.
func (s *Store) Reserve(ctx context.Context, key, member string, now time.Time, window time.Duration, limit int) (bool, int, error) {
	const op = "memstore.Reserve"
	if window <= 0 {
		return false, 0, fmt.Errorf("%s %q: %w", op, key, errWindow)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.lookup(ctx, key, kindWindow)
	if err != nil {
		return false, 0, fmt.Errorf("%s %q: %w", op, key, err)
	}
	if it == nil {
		it = &item{kind: kindWindow, members: make(map[string]int64)}
	}
	at := now.UnixMicro()
	cutoff := at - window.Microseconds()
	for m, t := range it.members {
		if t < cutoff {
			delete(it.members, m)
		}
	}
	if _, ok := it.members[member]; ok {
		return true, len(it.members), nil
	}
	if n := len(it.members); n >= limit {
		if n == 0 {
			delete(s.items, key) // an empty window is no key, as in Redis
		}
		return false, n, nil
	}
	s.put(key, it)
	it.members[member] = at
	it.expires = s.deadline(window)
	return true, len(it.members), nil
}

// Release implements store.Store.
func (s *Store) Release(ctx context.Context, key, member string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.lookup(ctx, key, kindWindow)
	if err != nil {
		return fmt.Errorf("memstore.Release %q: %w", key, err)
	}
	if it == nil {
		return nil
	}
	delete(it.members, member)
	if len(it.members) == 0 {
		delete(s.items, key) // an empty window is no key, as in Redis
	}
	return nil
}

// List returns the live keys with the prefix, sorted.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable(ctx); err != nil {
		return nil, fmt.Errorf("memstore.List %q: %w", prefix, err)
	}
	now := s.now()
	var keys []string
	for k, it := range s.items {
		if expired(it, now) {
			delete(s.items, k)
			continue
		}
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// Close makes every later call fail, as a closed Redis client does.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// lookup returns the live item under key, or nil. want, if not zero, is the
// kind the caller can handle. s.mu must be held.
func (s *Store) lookup(ctx context.Context, key string, want kind) (*item, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	it, ok := s.items[key]
	if !ok {
		return nil, nil
	}
	if expired(it, s.now()) {
		delete(s.items, key)
		return nil, nil
	}
	if want != 0 && it.kind != want {
		return nil, errWrongKind
	}
	return it, nil
}

func (s *Store) usable(ctx context.Context) error {
	if s.closed {
		return errClosed
	}
	return ctx.Err()
}

// put adds a key. s.mu must be held.
func (s *Store) put(key string, it *item) {
	s.items[key] = it
	s.wrote()
}

// wrote counts writes and now and then drops every expired key. s.mu must
// be held.
func (s *Store) wrote() {
	s.writes++
	if s.writes%sweepEvery != 0 {
		return
	}
	now := s.now()
	for k, it := range s.items {
		if expired(it, now) {
			delete(s.items, k)
		}
	}
}

func (s *Store) deadline(ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return s.now().Add(ttl)
}

func expired(it *item, now time.Time) bool {
	return !it.expires.IsZero() && !now.Before(it.expires)
}

// cloneValue copies value, keeping an empty value non-nil so a stored empty
// record reads back as empty rather than absent-looking nil.
func cloneValue(v []byte) []byte {
	return append(make([]byte, 0, len(v)), v...)
}
