package local

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// mapStore is the smallest Store that keeps the contract Tickets relies on
// (versions, create-if-absent, compare-and-swap), so these tests need no
// bot/ package. Expiry is not modelled: no test here waits for it.
type mapStore struct {
	mu sync.Mutex
	m  map[string]record1
}

type record1 struct {
	version int64
	value   []byte
}

func newMapStore() *mapStore { return &mapStore{m: map[string]record1{}} }

func (s *mapStore) Get(_ context.Context, key string) ([]byte, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.m[key]
	if !ok {
		return nil, 0, fmt.Errorf("get %s: %w", key, ErrNotFound)
	}
	return append([]byte(nil), r.value...), r.version, nil
}

func (s *mapStore) Create(_ context.Context, key string, value []byte, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; ok {
		return fmt.Errorf("create %s: %w", key, ErrConflict)
	}
	s.m[key] = record1{version: 1, value: append([]byte(nil), value...)}
	return nil
}

func (s *mapStore) CompareAndSwap(_ context.Context, key string, version int64, value []byte, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.m[key]
	if !ok {
		return fmt.Errorf("swap %s: %w", key, ErrNotFound)
	}
	if r.version != version {
		return fmt.Errorf("swap %s: %w", key, ErrConflict)
	}
	s.m[key] = record1{version: version + 1, value: append([]byte(nil), value...)}
	return nil
}

func (s *mapStore) List(_ context.Context, prefix string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k := range s.m {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	return keys, nil
}
