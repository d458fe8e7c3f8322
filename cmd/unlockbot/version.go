package main

import (
	"runtime/debug"

	"github.com/unlockbot/unlockbot/bot/metrics"
)

// Set by the linker: -ldflags "-X main.version=… -X main.commit=… -X main.date=…".
var version, commit, date string

// buildInfo says what this binary was built from; without ldflags it falls
// back to what the Go toolchain recorded.
func buildInfo() metrics.BuildInfo {
	b := metrics.BuildInfo{Version: version, Commit: commit, Date: date}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && b.Commit == "":
				b.Commit = s.Value
			case s.Key == "vcs.time" && b.Date == "":
				b.Date = s.Value
			}
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	return b
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
