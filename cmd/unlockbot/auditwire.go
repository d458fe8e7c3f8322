package main

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/audit/redisstream"
	"github.com/unlockbot/unlockbot/audit/syslog"
	"github.com/unlockbot/unlockbot/bot/store/redisstore"
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
func openTrail(cfg *Config, rc redis.UniversalClient, log zerolog.Logger, extra ...audit.Sink) (*trail, error) {
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
			return nil, errors.New("config: audit.redis_stream needs redis_url (or the redis block): the stream lives in the bot's Redis")
		}
		rs, err := redisstream.New(redisstream.Options{Client: rc, Stream: streamName(cfg), Keys: keys})
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("config: audit.redis_stream: %w", err)
		}
		sinks = append(sinks, rs)
		t.watched = append(t.watched, rs)
	}
	if sc := cfg.Audit.Syslog; sc != nil {
		sl, err := openSyslog(sc, keys, log)
		if err != nil {
			t.Close()
			return nil, err
		}
		sinks = append(sinks, sl)
		t.watched = append(t.watched, sl)
		t.closers = append(t.closers, sl.Close)
	}
	t.sink = append(sinks, extra...)
	return t, nil
}

// openSyslog starts the sender to a SIEM. It does not wait for the
// receiver: records queue until it answers, and resets are refused only
// when the queue is full.
func openSyslog(sc *AuditSyslogConfig, keys *audit.Keyring, log zerolog.Logger) (*syslog.Sink, error) {
	var tc *tls.Config
	if sc.Network == "tls" {
		var err error
		if tc, err = (syslog.TLSFiles{CAFile: sc.CAFile, CertFile: sc.CertFile, KeyFile: sc.KeyFile, ServerName: sc.ServerName}).Config(); err != nil {
			return nil, fmt.Errorf("config: audit.syslog: %w", err)
		}
	}
	s, err := syslog.New(syslog.Options{Network: sc.Network, Addr: sc.Addr, TLS: tc, Keys: keys, Buffer: sc.Buffer,
		Facility: sc.Facility, OmitBOM: sc.OmitBOM, Log: log.With().Str("sink", "syslog").Logger()})
	if err != nil {
		return nil, fmt.Errorf("config: audit.syslog: %w", err)
	}
	return s, nil
}

// streamName is the audit stream: as configured, or beside the bot's keys.
func streamName(cfg *Config) string {
	if s := cfg.Audit.RedisStream; s != nil && s.Stream != "" {
		return s.Stream
	}
	prefix := cfg.RedisPrefix
	if prefix == "" {
		prefix = redisstore.DefaultPrefix
	}
	return prefix + "{audit}:stream"
}
