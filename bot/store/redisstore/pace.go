package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/bot/store"
)

// Pace runs the generic cell rate algorithm in one script on one key, so
// every replica draws from the same line and Redis Cluster can place the
// key anywhere. Times are the caller's, in Unix microseconds; the key
// expires (server clock) when the line has been idle long enough to
// forget it.
func (s *Store) Pace(ctx context.Context, key string, now time.Time, p store.Pacing) (time.Duration, error) {
	const op = "redisstore.Pace"
	if p.Interval <= 0 {
		return 0, fmt.Errorf("%s %q: pacing interval must be positive, got %v", op, key, p.Interval)
	}
	var nb int64
	if !p.NotBefore.IsZero() {
		nb = p.NotBefore.UnixMicro()
	}
	res, err := paceScript.Run(ctx, s.c, []string{s.prefix + key},
		now.UnixMicro(), p.Interval.Microseconds(), p.BurstOrOne(), nb).Text()
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", op, key, err)
	}
	wait, err := strconv.ParseInt(res, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q: script returned %q", op, key, res)
	}
	return time.Duration(wait) * time.Microsecond, nil
}

// ARGV: now µs, interval µs, burst (≥ 1), hold µs (0: none). Returns the
// wait in µs as a string. Numbers go out through string.format('%.0f'):
// Lua would print 1.7e+15 and lose digits. A µs timestamp is exact in a
// Lua double until the year 2255.
var paceScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local iv = tonumber(ARGV[2])
local allowance = (tonumber(ARGV[3]) - 1) * iv
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
local nb = tonumber(ARGV[4])
if nb > 0 and tat < nb + allowance then tat = nb + allowance end
local slot = tat - allowance
if slot < now then slot = now end
local nxt = tat + iv
local ttl = math.ceil((nxt - now) / 1000)
if ttl < 1 then ttl = 1 end
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', string.format('%.0f', ttl))
return string.format('%.0f', slot - now)`)
