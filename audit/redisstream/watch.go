package redisstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/audit"
)

// Name implements audit.Watched.
func (s *Sink) Name() string { return "redis-stream" }

// Check implements audit.Watched: Redis answers and the chain head is
// readable, so the next Write can seal against it.
func (s *Sink) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	_, err := bounded(ctx, s.direct, func(ctx context.Context) (string, error) { return s.c.Ping(ctx).Result() })
	if err != nil {
		if timedOut(err) {
			return fmt.Errorf("the audit stream's Redis did not answer within %v; check that Redis is up", s.timeout)
		}
		return fmt.Errorf("the audit stream's Redis cannot be reached: %w", err)
	}
	v, err := bounded(ctx, s.direct, func(ctx context.Context) (string, error) { return s.c.Get(ctx, s.keys[1]).Result() })
	if errors.Is(err, redis.Nil) {
		return nil // a new stream, or one whose head Write re-derives
	}
	if err != nil {
		return fmt.Errorf("the audit stream's head %s cannot be read from Redis: %w", s.keys[1], err)
	}
	if _, err := parseHead(v); err != nil {
		return fmt.Errorf("the audit stream's head %s in Redis is damaged (%v); run `unlockbot audit verify --redis-stream %s`", s.keys[1], err, s.stream)
	}
	return nil
}

// Stats implements audit.Watched. Nothing is ever buffered, so Pending and
// Lag stay zero.
func (s *Sink) Stats() audit.SinkStats {
	return audit.SinkStats{Written: s.written.Load(), Failures: s.failures.Load()}
}

// Conflicts is how often a write lost the race to another replica and was
// sealed again: a measure of contention, not of failure.
func (s *Sink) Conflicts() uint64 { return s.conflicts.Load() }
