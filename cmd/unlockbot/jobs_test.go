package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/bot/jobqueue"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

// serve with redis_url carries approvals through the shared job stream:
// the approval's job is read by this replica's consumer in the group and
// the reset completes; at shutdown the replica leaves the group and
// serve returns well inside its grace.
func TestServeRunsApprovalsThroughTheStream(t *testing.T) {
	redisURL := storetest.RedisURL(t)
	prefix := "jobs-e2e:" + rand.Text() + ":"
	c := redisClient(t, redisURL)
	t.Cleanup(func() { c.Del(context.Background(), prefix+"jobs") })
	fake := slackEnv(t, "JOBS_SEAL_KEY")
	port := freePort(t)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`listen: "127.0.0.1:%d"
redis_url: %q
redis_prefix: %q
seal_key_env: JOBS_SEAL_KEY
audit: { file: %q, hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }] }
recovery: { job_workers: 2, shutdown_grace: 3s }
%s
orgs:
  - id: lab
    name: Lab Corp
    directory: { kind: demo, dev_mode: true }
    slack: { channels: [%s], approval_channel: %s, technicians: [%s], approvers: [SLEADS] }
`, port, redisURL, prefix, filepath.Join(dir, "audit.jsonl"), pinned, chHelp, chApprove, uTech)
	path := filepath.Join(dir, "unlockbot.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &lockedBuffer{}
	served := make(chan error, 1)
	go func() { served <- cmdServe(ctx, []string{"--config", path}, logs) }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHealthy(t, base)

	if code, body := signedPost(t, base+"/slack/interactions", requestForm("alice", "", "T1.jobs")); code != 200 || !strings.Contains(body, "clear") {
		t.Fatalf("submission: %d %s", code, body)
	}
	id := requestIDIn(t, fake.Calls("chat.postMessage")[0].Body)
	if code, _ := signedPost(t, base+"/slack/interactions", clickPayload(uLead, chApprove, "unlockbot.approve", id)); code != 200 {
		t.Fatal("approve click refused")
	}
	for deadline := time.Now().Add(20 * time.Second); !updatedWith(fake, "Done:"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the reset did not finish; log:\n%s", logs.String())
		}
	}
	groups, err := c.XInfoGroups(context.Background(), prefix+"jobs").Result()
	if err != nil || len(groups) != 1 || groups[0].Name != jobqueue.DefaultGroup || groups[0].EntriesRead < 1 {
		t.Fatalf("the job stream's group: %+v, %v; want %s having read the approval", groups, err, jobqueue.DefaultGroup)
	}
	if !hasConsumer(t, c, prefix+"jobs", fmt.Sprintf("-%d-", os.Getpid())) {
		t.Fatal("this process is no consumer of the job group")
	}

	start := time.Now()
	cancel() // SIGTERM
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after its 3 s grace")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("shutdown took %s with nothing running", took)
	}
	if hasConsumer(t, c, prefix+"jobs", fmt.Sprintf("-%d-", os.Getpid())) {
		t.Error("the replica did not leave the group at shutdown")
	}
}

func redisClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// updatedWith: some chat.update so far carries text.
func updatedWith(fake *slacktest.Server, text string) bool {
	for _, c := range fake.Calls("chat.update") {
		if strings.Contains(c.Body, text) {
			return true
		}
	}
	return false
}

// hasConsumer: a consumer of the job group has part in its name (the
// replica's pid, as "-pid-").
func hasConsumer(t *testing.T, c *redis.Client, stream, part string) bool {
	t.Helper()
	cs, err := c.XInfoConsumers(context.Background(), stream, jobqueue.DefaultGroup).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range cs {
		if strings.Contains(x.Name, part) {
			return true
		}
	}
	return false
}

// heldReplica waits up to 30 s for the one replica of all that printed
// line and returns it and the others.
func heldReplica(t *testing.T, all []*replica, line string) (*replica, []*replica) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for i, r := range all {
			if strings.Contains(r.log(), line) {
				return r, append(append([]*replica{}, all[:i]...), all[i+1:]...)
			}
		}
	}
	t.Fatalf("no replica printed %q", line)
	return nil, nil
}

// jobInStream checks that the job stream holds exactly one entry, pending
// for replica r's consumer, an approval's job, and returns every field of
// every entry, for the secret scans.
func jobInStream(t *testing.T, url, stream string, r *replica) string {
	t.Helper()
	c := redisClient(t, url)
	ctx := context.Background()
	p, err := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: jobqueue.DefaultGroup, Start: "-", End: "+", Count: 10}).Result()
	if err != nil || len(p) != 1 || !strings.Contains(p[0].Consumer, fmt.Sprintf("-%d-", r.cmd.Process.Pid)) {
		t.Fatalf("pending jobs %+v (%v); want one, held by pid %d", p, err, r.cmd.Process.Pid)
	}
	var b strings.Builder
	for _, m := range c.XRange(ctx, stream, "-", "+").Val() {
		for f, v := range m.Values {
			fmt.Fprintf(&b, "%s=%v\n", f, v)
		}
	}
	if !strings.Contains(b.String(), `"action":"unlockbot.approve"`) {
		t.Fatalf("the stream holds no approval job:\n%s", b.String())
	}
	return b.String()
}
