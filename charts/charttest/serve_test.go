package charttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const redisAddr = "127.0.0.1:6390"

// TestChartConfigServes runs the binary as the chart's pod would: the
// container's args, the rendered config through UNLOCKBOT_CONFIG, the
// rendered Secret as its environment, a real Redis. Only two things are
// moved for this machine: the listen port (a free one) and the audit
// volume's mount point (a temporary directory). The probes' paths must
// answer 200, SIGTERM must end it cleanly, and no secret reaches its log.
func TestChartConfigServes(t *testing.T) {
	if c, err := net.DialTimeout("tcp", redisAddr, time.Second); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis is not running on %s: %v", redisAddr, err)
		}
		t.Skipf("Redis is not running on %s; start it with: bash .ci/redis.sh", redisAddr)
	} else {
		c.Close()
	}
	prefix := fmt.Sprintf("charttest:%d:%d:", os.Getpid(), time.Now().UnixNano())
	seal, auditKey := randomKey(t), randomKey(t)
	m := render(t, "--values", "testdata/demo-org.yaml",
		"--set", "redis.url=redis://"+redisAddr+"/0",
		"--set", "config.redis_prefix="+prefix,
		"--set", "secretEnv.UNLOCKBOT_SEAL_KEY="+seal,
		"--set", "secretEnv.UNLOCKBOT_AUDIT_KEY="+auditKey)
	d := checkWorkload(t, m)
	t.Cleanup(func() { dropPrefix(t, prefix) })
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]

	dir := t.TempDir()
	port := freePort(t)
	cfgVol := mountAt(t, pod, c, path.Dir(envValue(c, "UNLOCKBOT_CONFIG")))
	cfg := configMap(t, m, cfgVol.ConfigMap.Name).Data["config.yaml"]
	cfg = strings.Replace(cfg, fmt.Sprintf("listen: :%d", containerPort(t, c, "http")), fmt.Sprintf("listen: 127.0.0.1:%d", port), 1)
	cfg = strings.ReplaceAll(cfg, "/var/lib/unlockbot/", dir+"/")
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "UNLOCKBOT_CONFIG=" + cfgPath}
	for k, v := range m.Secrets[0].Data {
		env = append(env, k+"="+string(v))
	}
	var logs bytes.Buffer
	cmd := exec.Command(unlockbotBinary(t), c.Args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer cmd.Process.Kill()

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitOK(t, base+c.ReadinessProbe.HTTPGet.Path, done, &logs)
	waitOK(t, base+c.LivenessProbe.HTTPGet.Path, done, &logs)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second):
		t.Fatalf("serve still running %ds after SIGTERM (the pod's grace period)", *pod.TerminationGracePeriodSeconds)
	}
	for _, s := range []string{seal, auditKey} {
		if strings.Contains(logs.String(), s) {
			t.Error("a secret from the chart's Secret appears in serve's log")
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "audit.jsonl")); err != nil {
		t.Errorf("no audit file on the audit volume: %v", err)
	}
}

// waitOK polls url until it answers 200, the process exits, or 20 s pass.
func waitOK(t *testing.T, url string, done <-chan error, logs *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	last := "no answer"
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("serve exited before %s answered: %v\n%s", url, err, logs.String())
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: %s after 20s\n%s", url, last, logs.String())
}

func unlockbotBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "unlockbot")
	b := exec.Command("go", "build", "-o", bin, "./cmd/unlockbot")
	b.Dir, b.Env = repoRoot(t), append(os.Environ(), "CGO_ENABLED=0")
	if out, err := b.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func randomKey(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// dropPrefix removes what the run wrote to the shared Redis.
func dropPrefix(t *testing.T, prefix string) {
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer rdb.Close()
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Logf("cleaning Redis prefix %s: %v", prefix, err)
	}
}
