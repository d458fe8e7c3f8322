package main

import "time"

// HealthConfig is how often /readyz's checks run and how long each may take.
type HealthConfig struct {
	Interval time.Duration `yaml:"interval"` // default 15s
	Timeout  time.Duration `yaml:"timeout"`  // per check; default 3s
}

func (h *HealthConfig) defaults() {
	if h.Interval == 0 {
		h.Interval = 15 * time.Second
	}
	if h.Timeout == 0 {
		h.Timeout = 3 * time.Second
	}
}

func (h HealthConfig) validate(bad func(string, string, ...any)) {
	if h.Interval < time.Second || h.Interval > 10*time.Minute {
		bad("health.interval", "must be between 1s and 10m (got %s)", h.Interval)
	}
	if h.Timeout < 100*time.Millisecond || h.Timeout > h.Interval {
		bad("health.timeout", "must be between 100ms and health.interval (got %s): each check gets this long to answer", h.Timeout)
	}
}
