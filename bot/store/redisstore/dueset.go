package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/bot/store"
)

// A due-set is a sorted set scored in Unix microseconds, exact in a double
// (and in Lua) until the year 2255. Each command and script touches only
// the set's key, so they are safe on a cluster. Scores go into scripts as
// decimal strings: Lua would print a computed number as 1.7e+15.

// Schedule implements store.DueSet.
func (s *Store) Schedule(ctx context.Context, set, member string, at time.Time) (time.Time, error) {
	us := at.UnixMicro()
	got, err := scheduleScript.Run(ctx, s.c, []string{s.prefix + set},
		member, strconv.FormatInt(us, 10), strconv.FormatInt(us-1, 10)).Int64()
	if err != nil {
		return time.Time{}, fmt.Errorf("redisstore.Schedule %q: %w", set, err)
	}
	return time.UnixMicro(got), nil
}

// Due is ZRANGEBYSCORE -inf now LIMIT offset limit.
func (s *Store) Due(ctx context.Context, set string, now time.Time, offset, limit int) ([]store.Deadline, error) {
	if limit <= 0 {
		return nil, nil
	}
	zs, err := s.c.ZRangeByScoreWithScores(ctx, s.prefix+set, &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMicro(), 10), Offset: int64(offset), Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore.Due %q: %w", set, err)
	}
	due := make([]store.Deadline, len(zs))
	for i, z := range zs {
		m, _ := z.Member.(string)
		due[i] = store.Deadline{Member: m, At: time.UnixMicro(int64(z.Score))}
	}
	return due, nil
}

// Reschedule implements store.DueSet.
func (s *Store) Reschedule(ctx context.Context, set, member string, from, to time.Time) (bool, error) {
	n, err := moveScript.Run(ctx, s.c, []string{s.prefix + set},
		member, strconv.FormatInt(from.UnixMicro(), 10), strconv.FormatInt(to.UnixMicro(), 10)).Int64()
	if err != nil {
		return false, fmt.Errorf("redisstore.Reschedule %q: %w", set, err)
	}
	return n == 1, nil
}

// Unschedule implements store.DueSet; Redis deletes a sorted set left empty.
func (s *Store) Unschedule(ctx context.Context, set, member string, at time.Time) (bool, error) {
	n, err := moveScript.Run(ctx, s.c, []string{s.prefix + set},
		member, strconv.FormatInt(at.UnixMicro(), 10), "").Int64()
	if err != nil {
		return false, fmt.Errorf("redisstore.Unschedule %q: %w", set, err)
	}
	return n == 1, nil
}

// Scheduled is ZCARD.
func (s *Store) Scheduled(ctx context.Context, set string) (int, error) {
	n, err := s.c.ZCard(ctx, s.prefix+set).Result()
	if err != nil {
		return 0, fmt.Errorf("redisstore.Scheduled %q: %w", set, err)
	}
	return int(n), nil
}

var (
	// ARGV: member, deadline µs, deadline-1 µs. Stores the deadline, or one
	// µs earlier if the member already sits exactly there; returns it.
	scheduleScript = redis.NewScript(`
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
local at = ARGV[2]
if cur and tonumber(cur) == tonumber(at) then at = ARGV[3] end
redis.call('ZADD', KEYS[1], at, ARGV[1])
return tonumber(at)`)

	// ARGV: member, expected deadline µs, new deadline µs ("": remove).
	// Returns 1 if the member was at the expected deadline and moved.
	moveScript = redis.NewScript(`
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not cur or tonumber(cur) ~= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '' then redis.call('ZREM', KEYS[1], ARGV[1])
else redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) end
return 1`)
)
