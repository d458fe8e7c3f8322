package store

import (
	"context"
	"time"
)

// Deadline is one member of a due-set and the instant it is due, kept at
// microsecond precision (like Reserve's windows) so both stores agree.
type Deadline struct {
	Member string
	At     time.Time
}

// DueSet is a sorted set of deadlines: the sweeper's list of requests to
// look at, so a sweep reads the few that are due instead of scanning every
// record ever kept. Writers set a deadline before the change it belongs
// to is saved; the sweeper moves or drops one only if nobody set it since
// it was read (Reschedule, Unschedule compare the deadline), so a sweeper
// deciding on an old copy cannot undo a writer's newer deadline.
type DueSet interface {
	// Schedule sets member's deadline at set to at, earlier or later than
	// before (ZADD). If it was already due at exactly that microsecond it
	// stores one microsecond earlier: every Schedule changes the stored
	// deadline, so a compare by Reschedule or Unschedule always sees it.
	// It returns the deadline stored.
	Schedule(ctx context.Context, set, member string, at time.Time) (time.Time, error)
	// Due returns the members due at or before now, earliest first (ties
	// by member), skipping the first offset and returning at most limit.
	// A set that does not exist is empty.
	Due(ctx context.Context, set string, now time.Time, offset, limit int) ([]Deadline, error)
	// Reschedule moves member from the deadline from to the deadline to, if
	// it is still at from; false if it moved since or is not in the set.
	Reschedule(ctx context.Context, set, member string, from, to time.Time) (bool, error)
	// Unschedule removes member if its deadline is still at; false if it
	// moved since or is not in the set. A set left empty is no key.
	Unschedule(ctx context.Context, set, member string, at time.Time) (bool, error)
	// Scheduled counts the members of the set (the open requests, for the
	// metrics).
	Scheduled(ctx context.Context, set string) (int, error)
}
