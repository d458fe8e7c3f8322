package main

import (
	"strings"
	"testing"
	"time"
)

func TestHealthAndLogFormatConfig(t *testing.T) {
	base := "orgs:\n  - id: acme\n    directory: { kind: demo, dev_mode: true }\n"
	c, err := ParseConfig([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.Health.Interval != 15*time.Second || c.Health.Timeout != 3*time.Second || c.LogFormat != "" {
		t.Fatalf("defaults: %+v, log_format %q", c.Health, c.LogFormat)
	}
	for yaml, want := range map[string]string{
		"log_format: text\n":                             "log_format: must be json or console",
		"health: { interval: 2s, timeout: 5s }\n":        "health.timeout: must be between 100ms and health.interval",
		"health: { interval: 100ms }\n":                  "health.interval: must be between 1s and 10m",
		"log_format: console\nhealth: { timeout: 1s }\n": "",
	} {
		_, err := ParseConfig([]byte(yaml + base))
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: got %v, want %q", yaml, err, want)
		}
	}
}
