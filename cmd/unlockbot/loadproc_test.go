package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store/redisstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

// loadProcess is what a load run measures, in its own process: `unlockbot
// serve` on real Redis with the config head (the platform's pinning line)
// and one demo org whose platform block is orgBlock, or, with
// UNLOCKBOT_LOAD_TARGET=bare, the reference handler barePkg listening on
// LISTEN. env is added to the process's environment. It returns the base
// URL, the process (stopped and waited for when t ends, before its folder
// is removed) and whether it is the bare handler.
func loadProcess(t *testing.T, barePkg, head, orgBlock string, env ...string) (string, *exec.Cmd, bool) {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	return loadProcessOn(t, barePkg, head, orgBlock, "load:"+rand.Text()+":", key, env...)
}

// loadProcessOn is loadProcess on a given key prefix and seal key, for a
// run that fills Redis before serve starts.
func loadProcessOn(t *testing.T, barePkg, head, orgBlock, prefix string, key []byte, env ...string) (string, *exec.Cmd, bool) {
	t.Helper()
	bare := os.Getenv("UNLOCKBOT_LOAD_TARGET") == "bare"
	dir := t.TempDir()
	bin, pkg := filepath.Join(dir, "unlockbot"), "."
	if bare {
		pkg = barePkg
	}
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// What the run leaves in Redis (a marker per message for two hours,
	// paces, records) is deleted when the test ends, after the process
	// has stopped: the lab's Redis is shared by every later test.
	storetest.NewStoreAt(t, redisstore.Options{URL: storetest.RedisURL(t), Prefix: prefix})
	port := freePort(t)
	cfg := filepath.Join(dir, "unlockbot.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`listen: "127.0.0.1:%d"
redis_url: %q
redis_prefix: %q
seal_key_env: LOAD_SEAL_KEY
log_level: warn
audit: { file: %q, hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }] }
%s
orgs:
  - id: acme
    directory: { kind: demo, dev_mode: true }
    %s
`, port, storetest.RedisURL(t), prefix, filepath.Join(dir, "audit.jsonl"), head, orgBlock)), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", "--config", cfg)
	if bare {
		cmd = exec.CommandContext(ctx, bin)
		env = append(env, "TEAMSBARE_REDIS_URL="+storetest.RedisURL(t), "TEAMSBARE_PREFIX="+prefix) // for TEAMSBARE_REPLAY_MARK=1
	}
	cmd.Env = append(append(os.Environ(), env...), "LOAD_SEAL_KEY="+base64.StdEncoding.EncodeToString(key), fmt.Sprintf("LISTEN=127.0.0.1:%d", port))
	if p := os.Getenv("UNLOCKBOT_LOAD_PROFILE"); p != "" && !bare {
		// serve writes its CPU profile there when it is stopped: with a
		// signal, which it handles, rather than killed.
		cmd.Env = append(cmd.Env, profileEnv+"="+p)
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHealthy(t, base)
	return base, cmd, bare
}

// percentile of l (sorted in place); 0 for none.
func percentile(l []time.Duration, p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	slices.Sort(l)
	return l[int(float64(len(l)-1)*p)]
}

// logUsage reports the process's CPU per unit of work and its peak RSS:
// over its whole life, and since cpu0 (its CPU time when the clock
// started, so start-up and set-up are left out) when that is given.
func logUsage(t *testing.T, cmd *exec.Cmd, n int, unit string, cpu0 ...time.Duration) {
	t.Helper()
	cpu, rss := procUsage(cmd.Process.Pid)
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(max(n, 1)) }
	t.Logf("process: %.3f ms CPU per %s, peak RSS %.1f MiB", per(cpu), unit, float64(rss)/(1<<20))
	if len(cpu0) > 0 {
		t.Logf("process: %.3f ms CPU per %s during the run", per(cpu-cpu0[0]), unit)
	}
}
