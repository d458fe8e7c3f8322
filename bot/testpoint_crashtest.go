//go:build unlockbot_crashtest

package bot

import (
	"fmt"
	"os"
)

// In the crash-test build only: UNLOCKBOT_HOLD_AT=write (or ticket, note;
// or approved, right after an approval's save) makes the process announce
// itself on stderr right after that side effect, before its outcome is
// recorded, and wait there for the test to kill it with SIGKILL.
// Production builds do not contain this file.
func init() {
	at := os.Getenv("UNLOCKBOT_HOLD_AT")
	if at == "" {
		return
	}
	testPoint = func(point string) {
		if point != at {
			return
		}
		fmt.Fprintf(os.Stderr, "UNLOCKBOT_HELD %s\n", point)
		select {} // held until killed
	}
}
