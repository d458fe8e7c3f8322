package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/audit/redisstream"
	"github.com/unlockbot/unlockbot/bot/store/redisstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// TestSlackApprovalOnRedisCluster is one whole Slack approval with the
// state and the audit stream on the lab's 3-master Redis Cluster, signed in
// as an ACL user that holds only the documented rule set (its prefix, the
// bot's commands), its password from the environment. The reset happens,
// the stream verifies, and `audit verify --redis-stream` reads it through
// the same redis block.
func TestSlackApprovalOnRedisCluster(t *testing.T) {
	lab := ldaptest.AD(t)
	cluster := storetest.ClusterOptions(t)
	prefix := "e2e:" + rand.Text() + ":"
	admin := storetest.NewStoreAt(t, redisstore.Options{Mode: cluster.Mode, Addrs: cluster.Addrs, Prefix: prefix})
	user, pw := storetest.ACLUser(t, admin.Client(), prefix)
	t.Setenv("E2E_REDIS_PASSWORD", pw)
	block := fmt.Sprintf("redis: { mode: cluster, addrs: [%s], username: %s, password_env: E2E_REDIS_PASSWORD }\nredis_prefix: %q",
		strings.Join(cluster.Addrs, ", "), user, prefix)

	path := filepath.Join(t.TempDir(), "audit.jsonl")
	t.Setenv("E2E_BIND_PASSWORD", lab.BotPassword)
	e := newE2ERedis(t, block, "", labOrgYAML(lab, "E2E_BIND_PASSWORD"), path, ", redis_stream: {}")
	rs := e.app.store.(*redisstore.Store)
	stream := prefix + "{audit}:stream"
	t.Cleanup(func() { admin.Client().Del(context.Background(), stream, redisstream.HeadKey(stream), stream+":turn") })
	if line, err := checkStore(context.Background(), rs); err != nil || line != "Redis answers: a cluster of 3 masters" {
		t.Fatalf("check: %q, %v", line, err)
	}

	name, dn := newLabUser(t, lab)
	lab.Lock(t, dn)
	id := e.resetViaSlack(name)
	if lab.Locked(t, dn) {
		t.Fatal("the account is still locked in AD")
	}
	if err := lab.Bind(dn, lab.UserPassword); err == nil {
		t.Fatal("the old password still binds")
	}
	rec, err := rs.Get(context.Background(), "req:"+id)
	if err != nil {
		t.Fatalf("the request record on the cluster: %v", err)
	}
	if rec.Version < 3 {
		t.Fatalf("request record at version %d; the flow should have swapped it several times", rec.Version)
	}

	fileTypes := typesOf(trailOf(t, path))
	n, err := redisstream.Verify(context.Background(), admin.Client(), stream, testKeyring(t))
	if err != nil || n != len(fileTypes) || n < 5 {
		t.Fatalf("stream on the cluster: %d records (%v); the file has %d", n, err, len(fileTypes))
	}
	code, out := auditCLIWith(t, block+"\nseal_key_env: E2E_SEAL_KEY", ", redis_stream: {}", path, "verify", "--redis-stream")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("OK: %d records in %s", n, stream)) {
		t.Fatalf("audit verify --redis-stream on the cluster (%d): %s", code, out)
	}
	if strings.Contains(e.logs.String(), pw) {
		t.Fatal("the Redis password is in the log")
	}
}
