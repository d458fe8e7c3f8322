package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// TestKilledReplicaWritesOnce is the crash the review found, with real
// processes: three `unlockbot serve` replicas share one Redis and the Samba
// DC; the replica running an approved reset is killed with SIGKILL right
// after its directory write and before it records it (the crash-test build
// holds it there); another replica takes the reset over when the lease
// runs out. AD then shows one password write and one unlock, and the
// replicas' audit trails together hold the intent, the write (recovered
// by the replica that took over) and the outcome; the password revealed
// afterwards is the one in AD.
func TestKilledReplicaWritesOnce(t *testing.T) {
	// Each holds right after a directory write it makes itself: the
	// approval's job runs on whichever replica takes it from the shared
	// queue, and a replica that takes over finds the write done and makes
	// none.
	c := startCrashRun(t, "write", 3)
	lab, dn, id, redisURL, shared, fake := c.lab, c.dn, c.id, c.redisURL, c.shared, c.shared.fake
	pwdBefore, lockBefore := c.pwdBefore, c.lockBefore
	doomed, survivors := heldReplica(t, c.all, "UNLOCKBOT_HELD write")
	if lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd) != pwdBefore+1 {
		t.Fatal("the replica is held, but AD shows no password write")
	}
	// The approval's job is in the shared stream, handed to the held
	// replica; what the stream holds is scanned for the password below.
	queued := jobInStream(t, redisURL, shared.prefix+"jobs", doomed)
	doomed.kill(t)
	c.waitDone(t, survivors)
	if got := lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd); got != pwdBefore+1 {
		t.Errorf("unicodePwd written %d times, want once", got-pwdBefore)
	}
	if got := lab.MetaVersion(t, dn, ldaptest.AttLockoutTime); got != lockBefore+1 {
		t.Errorf("lockoutTime written %d times, want once", got-lockBefore)
	}
	if lab.Locked(t, dn) {
		t.Error("the account is still locked")
	}
	trail := c.trails()
	for typ, want := range map[string]int{"reset.write_started": 1, "reset.password_set": 1, "reset.verified": 1, "reset.completed": 1} {
		if n := strings.Count(trail, `"type":"`+typ+`"`); n != want {
			t.Errorf("%d %s records across the replicas' trails, want %d", n, typ, want)
		}
	}
	if !strings.Contains(trail, `"recovered":"true"`) {
		t.Errorf("the write is not recorded as recovered:\n%s", trail)
	}

	// The revealed password is the one the killed replica wrote.
	if code, _ := signedPost(t, survivors[0].url+"/slack/interactions", clickPayload(uTech, "DTECH", "unlockbot.reveal", id)); code != 200 {
		t.Fatal("reveal click refused")
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		for _, call := range fake.Calls("views.open") {
			if !strings.Contains(call.Body, "slack.password_window") {
				continue
			}
			if pw := passwordInView(t, call.Body, lab, dn); pw != "" {
				if strings.Contains(queued, pw) {
					t.Error("the password is in the job stream")
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no reveal carried a password that binds")
		}
	}
}

// crashRun is a crash test under way: an account of the lab locked in
// Samba, replicas of the crash-test build that hold after holdAt, and the
// account's request submitted and approved through the first of them.
type crashRun struct {
	lab      *ldaptest.Server
	redisURL string
	dn, id   string
	// the account's metadata versions before the approval
	pwdBefore, lockBefore int
	shared                *crashShared
	all                   []*replica
}

func startCrashRun(t *testing.T, holdAt string, replicas int) *crashRun {
	t.Helper()
	c := &crashRun{lab: ldaptest.AD(t), redisURL: storetest.RedisURL(t)}
	name, dn := newLabUser(t, c.lab)
	c.dn = dn
	c.lab.Lock(t, dn)
	c.pwdBefore = c.lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd)
	c.lockBefore = c.lab.MetaVersion(t, dn, ldaptest.AttLockoutTime)
	bin := filepath.Join(t.TempDir(), "unlockbot-crashtest")
	if out, err := exec.Command("go", "build", "-tags", "unlockbot_crashtest", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	fake := slacktest.New(t, e2eToken)
	fake.SetGroup("SLEADS", uLead)
	key := make([]byte, 32)
	rand.Read(key)
	c.shared = &crashShared{lab: c.lab, redisURL: c.redisURL, prefix: "crash:" + rand.Text() + ":", bin: bin, fake: fake,
		sealKey: base64.StdEncoding.EncodeToString(key)}
	for range replicas {
		c.all = append(c.all, c.shared.start(t, holdAt))
	}
	front := c.all[0] // the replica Slack's requests reach
	// The lab's Samba, loaded by the rest of the suite, has once answered
	// the form's lookup of a user it had just created with "Time Limit
	// Exceeded": the form says the directory did not answer, as it should,
	// and nothing exists yet. What is under test starts after the
	// submission, so the form is sent again, as a technician would.
	for try := 1; ; try++ {
		code, body := signedPost(t, front.url+"/slack/interactions", requestForm(name, "", "T1.crash."+holdAt))
		if code == 200 && strings.Contains(body, "clear") {
			break
		}
		if try == 3 || !strings.Contains(body, "did not answer") {
			t.Fatalf("submission: %d %s", code, body)
		}
		t.Logf("submission %d: the directory did not answer (%s); sending the form again", try, body)
		time.Sleep(500 * time.Millisecond)
	}
	posts := fake.Calls("chat.postMessage")
	if len(posts) != 1 {
		t.Fatalf("%d approval posts", len(posts))
	}
	c.id = requestIDIn(t, posts[0].Body)
	if code, _ := signedPost(t, front.url+"/slack/interactions", clickPayload(uLead, chApprove, "unlockbot.approve", c.id)); code != 200 {
		t.Fatal("approve click refused")
	}
	return c
}

// waitDone waits up to 60 s for the done card.
func (c *crashRun) waitDone(t *testing.T, survivors []*replica) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		for _, u := range c.shared.fake.Calls("chat.update") {
			if strings.Contains(u.Body, "Done:") {
				return
			}
		}
		if time.Now().After(deadline) {
			var logs strings.Builder
			for _, r := range survivors {
				logs.WriteString(r.log() + "\n")
			}
			t.Fatalf("no replica finished the reset within 60 s; logs:\n%s", logs.String())
		}
	}
}

// trails is every replica's audit trail, one after another.
func (c *crashRun) trails() string {
	var b strings.Builder
	for _, r := range c.all {
		f, _ := os.ReadFile(r.audit)
		b.Write(f)
	}
	return b.String()
}

// crashShared is what the replicas of the crash test share.
type crashShared struct {
	lab              *ldaptest.Server
	redisURL, prefix string
	bin, sealKey     string
	fake             *slacktest.Server
	mu               sync.Mutex
	n                int
}

// replica is one `unlockbot serve` process.
type replica struct {
	url, audit string
	cmd        *exec.Cmd
	mu         sync.Mutex
	lines      []string
	gone       bool // killed
}

func (r *replica) dead() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gone
}

// start runs a replica with a 5 s lease and a 1 s sweep (the directory
// timeouts cut to 1 s, so the config accepts so short a lease); holdAt names the
// side effect after which it stops (the crash-test build's hook).
func (s *crashShared) start(t *testing.T, holdAt string) *replica {
	t.Helper()
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	r := startReplica(t, s.bin, func(port int, audit string) string {
		return fmt.Sprintf(`listen: "127.0.0.1:%d"
redis_url: %q
redis_prefix: %q
seal_key_env: CRASH_SEAL_KEY
log_level: info
audit: { file: %q, hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }] }
recovery: { lease: 5s, sweep_interval: 1s }
%s
`, port, s.redisURL, s.prefix, audit, pinned) + labOrgYAML(s.lab, "CRASH_BIND_PASSWORD", "dial_timeout: 1s", "op_timeout: 1s")
	}, "CRASH_SEAL_KEY="+s.sealKey, "CRASH_BIND_PASSWORD="+s.lab.BotPassword,
		"SLACK_BOT_TOKEN="+e2eToken, "SLACK_SIGNING_SECRET="+e2eSigning, "SLACK_API_URL="+s.fake.APIURL(), "UNLOCKBOT_HOLD_AT="+holdAt)
	t.Logf("replica %d on %s (hold at %q)", n, r.url, holdAt)
	return r
}

// startReplica runs `bin serve` on the config cfg writes for its port
// and audit file, with env added, reading its stderr; it is killed when t
// ends.
func startReplica(t *testing.T, bin string, cfg func(port int, audit string) string, env ...string) *replica {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	r := &replica{url: fmt.Sprintf("http://127.0.0.1:%d", port), audit: filepath.Join(dir, "audit.jsonl")}
	path := filepath.Join(dir, "unlockbot.yaml")
	os.WriteFile(path, []byte(cfg(port, r.audit)), 0o600)
	r.cmd = exec.Command(bin, "serve", "--config", path)
	r.cmd.Env = append(os.Environ(), env...)
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go r.read(stderr)
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		if t.Failed() {
			t.Logf("%s's log ends:\n%s", r.url, lastLines(r.log(), 20))
		}
	})
	waitHealthy(t, r.url)
	return r
}

func (r *replica) read(rd io.Reader) {
	sc := bufio.NewScanner(rd)
	for sc.Scan() {
		r.mu.Lock()
		r.lines = append(r.lines, sc.Text())
		r.mu.Unlock()
	}
}

func (r *replica) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// waitFor waits up to 30 s for a line of the replica's stderr.
func (r *replica) waitFor(t *testing.T, line string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(r.log(), line) {
			return
		}
	}
	t.Fatalf("replica never printed %q; its log:\n%s", line, r.log())
}

// kill ends the replica with SIGKILL: no deferred code, no cleanup runs.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	r.gone = true
	r.mu.Unlock()
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("the killed replica did not exit")
	}
}

// clickPayload is a button click in Slack's block_actions shape.
func clickPayload(who, channel, action, id string) url.Values {
	return jsonPayload(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": who, "name": strings.ToLower(who)}, "trigger_id": fmt.Sprintf("T%d", time.Now().UnixNano()),
		"channel":   map[string]any{"id": channel},
		"container": map[string]any{"type": "message", "channel_id": channel, "message_ts": "1.1"},
		"actions":   []any{map[string]any{"type": "button", "action_id": action, "block_id": "actions", "value": id, "action_ts": "1"}},
	})
}
