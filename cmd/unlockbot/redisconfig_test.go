package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

const redisDemoOrg = "\norgs:\n  - id: a\n    directory: { kind: demo, dev_mode: true }\n"

func TestRedisBlockErrorsNameTheKey(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"and url":       {"redis_url: redis://h:1/0\nredis: { addrs: [h:1] }", "redis: and redis_url (or redis_url_env/_file) both name a Redis"},
		"redis_tls":     {"redis_tls: {}\nredis: { addrs: [h:1] }", "redis_tls: goes with redis_url; with the redis block, put it under redis.tls"},
		"mode":          {"redis: { mode: ring, addrs: [h:1] }", `redis.mode: must be single, sentinel or cluster (got "ring")`},
		"no addrs":      {"redis: { mode: cluster }", "redis.addrs: list at least one host:port"},
		"bad addr":      {"redis: { mode: cluster, addrs: [h:1, h] }", `redis.addrs[1]: must be host:port (got "h")`},
		"two singles":   {"redis: { addrs: [h:1, h:2] }", "redis.addrs: single mode takes exactly one host:port (got 2)"},
		"no master":     {"redis: { mode: sentinel, addrs: [h:1] }", "redis.master_name: is required in sentinel mode"},
		"stray master":  {"redis: { mode: cluster, addrs: [h:1], master_name: m }", "redis.master_name: is only for sentinel mode"},
		"cluster db":    {"redis: { mode: cluster, addrs: [h:1], db: 3 }", "redis.db: must be 0 in cluster mode"},
		"two passwords": {"redis: { addrs: [h:1], password_env: A, password_file: /b }", "redis.password_env: and password_file are both set"},
		"inline":        {"redis: { addrs: [h:1], password: hunter2 }", "redis.password: secrets are never written in the file; use password_env"},
		"sentinel pw":   {"redis: { addrs: [h:1], sentinel_password_env: S }", "redis.sentinel_password_env: and the other sentinel_* keys are only for sentinel mode"},
		"tls files":     {"redis: { addrs: [h:1], tls: { cert_file: /nope.pem } }", "redis.tls.cert_file: and key_file go together"},
		"no seal key":   {"redis: { addrs: [h:1] }", "seal_key_env: is required with Redis"},
	} {
		_, err := ParseConfig([]byte(tc.yaml + redisDemoOrg))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v\nwant it to contain %q", name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error echoes the password", name)
		}
	}
	c, err := ParseConfig([]byte("seal_key_env: K\nredis: { mode: cluster, addrs: [h:1, h:2] }" + redisDemoOrg))
	if err != nil || !c.usesRedis() {
		t.Fatalf("a valid cluster block: %v (uses Redis: %v)", err, c != nil && c.usesRedis())
	}
}

// The redis block reaches every topology of the lab, and the password
// comes from the environment: a missing variable is named, not guessed.
func TestRedisBlockDialsEachTopology(t *testing.T) {
	cluster, sentinel := storetest.ClusterOptions(t), storetest.SentinelOptions(t)
	for name, tc := range map[string]struct{ block, want string }{
		"single":   {fmt.Sprintf("{ addrs: [%q] }", strings.TrimSuffix(strings.TrimPrefix(storetest.RedisURL(t), "redis://"), "/0")), "one server"},
		"cluster":  {fmt.Sprintf("{ mode: cluster, addrs: [%q] }", cluster.Addrs[0]), "a cluster of 3 masters"},
		"sentinel": {fmt.Sprintf("{ mode: sentinel, addrs: %q, master_name: %s }", sentinel.Addrs, sentinel.MasterName), "the Sentinel master"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte("seal_key_env: K\nredis: " + strings.ReplaceAll(tc.block, `" "`, `", "`) + redisDemoOrg))
			if err != nil {
				t.Fatal(err)
			}
			rs, err := cfg.redisStore()
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			line, err := checkStore(context.Background(), rs)
			if err != nil || !strings.HasPrefix(line, "Redis answers: "+tc.want) {
				t.Fatalf("check line %q, %v; want Redis answers: %s", line, err, tc.want)
			}
		})
	}
	cfg, err := ParseConfig([]byte("seal_key_env: K\nredis: { mode: cluster, addrs: [h:1], username: bot, password_env: UNLOCKBOT_TEST_NO_SUCH_VAR }" + redisDemoOrg))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.redisStore(); err == nil || !strings.Contains(err.Error(), "redis.password_env: environment variable UNLOCKBOT_TEST_NO_SUCH_VAR is not set") {
		t.Fatalf("unset password variable: %v", err)
	}
}

// docs/redis.md prints the ACL rule set the tests prove; it must list
// exactly the commands storetest.ACLCommands holds.
func TestRedisDocsListTheACLCommands(t *testing.T) {
	b, err := os.ReadFile("../../docs/redis.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "ACL SETUSER unlockbot")
	end := strings.Index(doc[start:], "```")
	if start < 0 || end < 0 {
		t.Fatal("docs/redis.md has no ACL SETUSER block")
	}
	var got []string
	for _, f := range strings.Fields(doc[start : start+end]) {
		if c, ok := strings.CutPrefix(f, "+"); ok {
			got = append(got, c)
		}
	}
	want := slices.Clone(storetest.ACLCommands)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("docs/redis.md allows %v\nthe tested rule set is %v", got, want)
	}
}
