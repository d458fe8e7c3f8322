package main

import (
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/audit/redisstream"
)

// trail is the audit sinks one process writes to, as one Sink for the
// flow and one by one for health and metrics.
type trail struct {
	sink    audit.Sink
	watched []audit.Watched
	closers []func() error
}

func (t *trail) Close() error {
	var errs []error
	for i := len(t.closers) - 1; i >= 0; i-- {
		errs = append(errs, t.closers[i]())
	}
	return errors.Join(errs...)
}

// openTrail opens every sink the config names. The file is always
// written; a Redis Stream (on the bot's Redis, rc) and a syslog receiver
// come on top.
// extra sinks (the metrics reader) take every event too.
func openTrail(cfg *Config, rc redis.UniversalClient, extra ...audit.Sink) (*trail, error) {
	keys, err := cfg.Audit.Keyring()
	if err != nil {
		return nil, err
	}
	path := cfg.Audit.File
	if path == "" {
		path = "audit.jsonl"
	}
	file, err := jsonl.Open(path, keys)
	if err != nil {
		return nil, err
	}
	t := &trail{watched: []audit.Watched{file}, closers: []func() error{file.Close}}
	sinks := audit.Fanout{file}
	if sc := cfg.Audit.RedisStream; sc != nil {
		if rc == nil {
			t.Close()
			return nil, errors.New("config: audit.redis_stream needs redis_url: the stream lives in the bot's Redis")
		}
		stream := sc.Stream
		if stream == "" {
			stream = cfg.RedisPrefix + "{audit}:stream"
		}
		rs, err := redisstream.New(redisstream.Options{Client: rc, Stream: stream, Keys: keys})
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("config: audit.redis_stream: %w", err)
		}
		sinks = append(sinks, rs)
		t.watched = append(t.watched, rs)
	}
	t.sink = append(sinks, extra...)
	return t, nil
}
