package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// A due-set is a sorted set, as in Redis, so it shares the kind of a
// Reserve window: members scored in Unix microseconds, no expiry.

// Schedule implements store.DueSet.
func (s *Store) Schedule(ctx context.Context, set, member string, at time.Time) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.lookup(ctx, set, kindWindow)
	if err != nil {
		return time.Time{}, fmt.Errorf("memstore.Schedule %q: %w", set, err)
	}
	if it == nil {
		it = &item{kind: kindWindow, members: make(map[string]int64)}
		s.put(set, it)
	}
	us := at.UnixMicro()
	if cur, ok := it.members[member]; ok && cur == us {
		us-- // every Schedule changes the deadline (see store.DueSet)
	}
	it.members[member] = us
	return time.UnixMicro(us), nil
}

// Due implements store.DueSet.
func (s *Store) Due(ctx context.Context, set string, now time.Time, offset, limit int) ([]store.Deadline, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.lookup(ctx, set, kindWindow)
	if err != nil {
		return nil, fmt.Errorf("memstore.Due %q: %w", set, err)
	}
	if it == nil {
		return nil, nil
	}
	cutoff := now.UnixMicro()
	var due []store.Deadline
	for m, us := range it.members {
		if us <= cutoff {
			due = append(due, store.Deadline{Member: m, At: time.UnixMicro(us)})
		}
	}
	slices.SortFunc(due, func(a, b store.Deadline) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Member, b.Member))
	})
	offset = min(max(offset, 0), len(due))
	return due[offset:min(offset+max(limit, 0), len(due))], nil
}

// Reschedule implements store.DueSet.
func (s *Store) Reschedule(ctx context.Context, set, member string, from, to time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok, err := s.deadlineAt(ctx, "memstore.Reschedule", set, member, from)
	if err != nil || !ok {
		return false, err
	}
	it.members[member] = to.UnixMicro()
	return true, nil
}

// Unschedule implements store.DueSet.
func (s *Store) Unschedule(ctx context.Context, set, member string, at time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok, err := s.deadlineAt(ctx, "memstore.Unschedule", set, member, at)
	if err != nil || !ok {
		return false, err
	}
	delete(it.members, member)
	if len(it.members) == 0 {
		delete(s.items, set) // an empty sorted set is no key, as in Redis
	}
	return true, nil
}

// Scheduled implements store.DueSet.
func (s *Store) Scheduled(ctx context.Context, set string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.lookup(ctx, set, kindWindow)
	if err != nil {
		return 0, fmt.Errorf("memstore.Scheduled %q: %w", set, err)
	}
	if it == nil {
		return 0, nil
	}
	return len(it.members), nil
}

// deadlineAt finds set and reports whether member is due at exactly at.
// s.mu must be held.
func (s *Store) deadlineAt(ctx context.Context, op, set, member string, at time.Time) (*item, bool, error) {
	it, err := s.lookup(ctx, set, kindWindow)
	if err != nil {
		return nil, false, fmt.Errorf("%s %q: %w", op, set, err)
	}
	if it == nil {
		return nil, false, nil
	}
	cur, ok := it.members[member]
	return it, ok && cur == at.UnixMicro(), nil
}
