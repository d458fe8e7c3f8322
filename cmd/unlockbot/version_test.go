package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersionFromLdflags: a release build names its version, commit and
// date; a plain build still says what it can.
func TestVersionFromLdflags(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "unlockbot")
	ld := "-X main.version=1.4.2 -X main.commit=0123abc -X main.date=2026-12-01T17:00:00Z"
	if out, err := exec.Command("go", "build", "-ldflags", ld, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "unlockbot 1.4.2 (commit 0123abc, built 2026-12-01T17:00:00Z, go") {
		t.Fatalf("version: %v %q", err, out)
	}
}
