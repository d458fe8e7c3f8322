package main

import (
	"errors"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/jsonl"
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
// written; a Redis Stream and a syslog receiver come on top.
func openTrail(cfg *Config) (*trail, error) {
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
	t.sink = sinks
	return t, nil
}
