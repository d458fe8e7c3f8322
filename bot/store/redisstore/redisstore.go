// Package redisstore is the store.Store shared by every replica. A record is
// a hash {v: version, d: data}; each read-check-write runs as one Lua script,
// which Redis executes atomically, so compare-and-swap holds across processes
// without WATCH/MULTI retries.
package redisstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/bot/store"
)

// DefaultPrefix namespaces every key, so the bot can share a Redis.
const DefaultPrefix = "unlockbot:"

// Store implements store.Store. It is safe for concurrent use.
type Store struct {
	c      redis.UniversalClient
	prefix string
	owned  bool
	mode   Mode   // as dialled; empty for a caller's Client
	master string // the Sentinel master's name
}

var _ store.Store = (*Store)(nil)

// Prefix is the namespace in front of every key.
func (s *Store) Prefix() string { return s.prefix }

func wrap(op string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// Get reads both fields in one HMGET, so version and data always match.
func (s *Store) Get(ctx context.Context, key string) (store.Record, error) {
	vals, err := s.c.HMGet(ctx, s.prefix+key, "v", "d").Result()
	if err != nil {
		return store.Record{}, fmt.Errorf("redisstore.Get %q: %w", key, err)
	}
	if vals[0] == nil {
		return store.Record{}, fmt.Errorf("redisstore.Get %q: %w", key, store.ErrNotFound)
	}
	v, _ := vals[0].(string)
	d, _ := vals[1].(string)
	ver, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return store.Record{}, fmt.Errorf("redisstore.Get %q: bad version field: %w", key, err)
	}
	return store.Record{Key: key, Version: ver, Value: []byte(d)}, nil
}

// Create returns a Record holding the caller's slice.
func (s *Store) Create(ctx context.Context, key string, value []byte, ttl time.Duration) (store.Record, error) {
	n, err := createScript.Run(ctx, s.c, []string{s.prefix + key}, value, ttlMillis(ttl)).Int64()
	if err != nil {
		return store.Record{}, fmt.Errorf("redisstore.Create %q: %w", key, err)
	}
	if n == 0 {
		return store.Record{}, fmt.Errorf("redisstore.Create %q: %w", key, store.ErrConflict)
	}
	return store.Record{Key: key, Version: 1, Value: value}, nil
}

// CompareAndSwap returns a Record holding the caller's slice.
func (s *Store) CompareAndSwap(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) (store.Record, error) {
	const op = "redisstore.CompareAndSwap"
	n, err := casScript.Run(ctx, s.c, []string{s.prefix + key}, version, value, ttlMillis(ttl)).Int64()
	switch {
	case err != nil:
		return store.Record{}, fmt.Errorf("%s %q: %w", op, key, err)
	case n == casMissing:
		return store.Record{}, fmt.Errorf("%s %q: %w", op, key, store.ErrNotFound)
	case n == casStale:
		return store.Record{}, fmt.Errorf("%s %q: version %d is stale: %w", op, key, version, store.ErrConflict)
	}
	return store.Record{Key: key, Version: n, Value: value}, nil
}

// Delete removes the key whatever it holds.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.c.Del(ctx, s.prefix+key).Err(); err != nil {
		return fmt.Errorf("redisstore.Delete %q: %w", key, err)
	}
	return nil
}

// Mark is SET NX PX: false if the key exists in any form. A ttl of zero or
// less makes a marker that never expires.
func (s *Store) Mark(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	exp := time.Duration(ttlMillis(ttl)) * time.Millisecond
	ok, err := s.c.SetNX(ctx, s.prefix+key, "1", exp).Result()
	if err != nil {
		return false, fmt.Errorf("redisstore.Mark %q: %w", key, err)
	}
	return ok, nil
}

// Reserve scores members by the caller's now in Unix microseconds (exact in
// a Lua double until the year 2255) and expires the whole key one window
// after its newest member, by the server's clock.
func (s *Store) Reserve(ctx context.Context, key, member string, now time.Time, window time.Duration, limit int) (bool, int, error) {
	const op = "redisstore.Reserve"
	if window <= 0 {
		return false, 0, fmt.Errorf("%s %q: window must be positive, got %v", op, key, window)
	}
	at := now.UnixMicro()
	// The cutoff goes in as a string: Lua would print a computed number
	// as 1.7e+15 and lose precision.
	cutoff := "(" + strconv.FormatInt(at-window.Microseconds(), 10)
	res, err := reserveScript.Run(ctx, s.c, []string{s.prefix + key},
		cutoff, at, limit, member, ttlMillis(window)).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("%s %q: %w", op, key, err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("%s %q: script returned %v", op, key, res)
	}
	return res[0] == 1, int(res[1]), nil
}

// Release is ZREM; Redis deletes a sorted set left empty.
func (s *Store) Release(ctx context.Context, key, member string) error {
	if err := s.c.ZRem(ctx, s.prefix+key, member).Err(); err != nil {
		return fmt.Errorf("redisstore.Release %q: %w", key, err)
	}
	return nil
}

// List scans the whole key space (every primary of a cluster), so keep it
// to small, occasional sweeps. Keys come back sorted, without the prefix.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	const op = "redisstore.List"
	match := escapeGlob(s.prefix+prefix) + "*"
	var (
		mu   sync.Mutex
		seen = make(map[string]struct{})
	)
	scan := func(ctx context.Context, c redis.Cmdable) error {
		it := c.Scan(ctx, 0, match, 500).Iterator()
		for it.Next(ctx) {
			mu.Lock()
			seen[strings.TrimPrefix(it.Val(), s.prefix)] = struct{}{}
			mu.Unlock()
		}
		return it.Err()
	}
	var err error
	if cc, ok := s.c.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(ctx, s.c)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", op, prefix, err)
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

// Close closes the client only if New dialled it.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	return wrap("redisstore.Close", s.c.Close())
}

// ttlMillis rounds a positive ttl below a millisecond up to one: PEXPIRE 0
// would delete the key at once. Zero or less means no expiry.
func ttlMillis(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return max(ttl.Milliseconds(), 1)
}

// escapeGlob makes s match itself literally in a SCAN MATCH pattern. It
// works on bytes: keys need not be valid UTF-8.
func escapeGlob(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Scripts run atomically in Redis; Script.Run tries EVALSHA and falls back
// to EVAL once the server's script cache lacks them. Every script touches
// only KEYS[1], so they are safe on a cluster.
var (
	// ARGV: data, ttl ms (0: none). Returns 1 if created, 0 if the key exists.
	createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', 1, 'd', ARGV[1])
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`)

	// ARGV: expected version, data, ttl ms (0: none). Returns the new version,
	// casMissing or casStale. Versions are compared as the decimal strings
	// both sides write, so no Lua number rounding is involved.
	casScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
local n = redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HSET', KEYS[1], 'd', ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3])
else redis.call('PERSIST', KEYS[1]) end
return n`)

	// ARGV: exclusive cutoff "(µs", now µs, limit, member, window ms.
	// Returns {1 if member is in the window, count}. A known member keeps its
	// first score: a retried reset must not slide the window forward.
	reserveScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return {1, n} end
if n >= tonumber(ARGV[3]) then return {0, n} end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {1, n + 1}`)
)

const (
	casMissing = -1
	casStale   = 0
)

// Client is the connection pool, for the audit stream to share it.
func (s *Store) Client() redis.UniversalClient { return s.c }
