package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// profileEnv names a file serve writes a CPU profile to while it runs,
// for finding where a load run's time goes (the load tools set it with
// UNLOCKBOT_LOAD_PROFILE). Off unless set; nothing else reads it.
const profileEnv = "UNLOCKBOT_CPU_PROFILE"

// startProfile starts the CPU profile profileEnv names, if any; the
// function it returns ends and writes it.
func startProfile() (func(), error) {
	path := os.Getenv(profileEnv)
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", profileEnv, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", profileEnv, err)
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}
