package storetest

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ACLCommands is every command the bot sends, or runs inside its Lua
// scripts (Redis checks those too), on the store and the audit stream.
// docs/redis.md prints the same list; a test keeps them equal. Features
// that add commands (due sets, the job queue) add them here.
var ACLCommands = []string{
	// connection: go-redis signs in with HELLO (AUTH before Redis 6).
	// It also sends CLIENT SETINFO (Redis 7.2+) and ignores a refusal.
	"ping", "hello", "auth", "select",
	// cluster clients learn the slot map, and from COMMAND which
	// argument of each command is its key
	"cluster|slots", "command",
	// scripts: each read-check-write is one script
	"evalsha", "eval",
	// records, markers, windows
	"hmget", "hget", "hset", "hincrby", "exists", "pexpire", "persist", "del",
	"set", "setnx", "zadd", "zrem", "zcard", "zscore", "zremrangebyscore", "zrangebyscore", "scan",
	// the audit stream and its head
	"get", "xadd", "xrange", "xrevrange",
	// the job queue (bot/jobqueue): one stream, one consumer group
	"xreadgroup", "xack", "xdel", "xclaim", "xautoclaim", "xpending", "xlen",
	"xgroup|create", "xgroup|delconsumer", "xinfo|consumers",
}

// ACLRule is the ACL SETUSER rule set that lets a bot whose keys start
// with prefix (store records and, by default, the audit stream) run and
// nothing else: no other keys, no channels, no other commands.
func ACLRule(prefix string) []string {
	r := []string{"resetkeys", "~" + prefix + "*", "resetchannels", "-@all"}
	for _, c := range ACLCommands {
		r = append(r, "+"+c)
	}
	return r
}

// ACLUser creates a user holding ACLRule(prefix) on every node of c (ACLs
// are per node, also in a cluster) and deletes it when the test ends. It
// returns the user name and password.
func ACLUser(t testing.TB, c redis.UniversalClient, prefix string) (user, password string) {
	t.Helper()
	user, password = "test-"+strings.ToLower(rand.Text()), rand.Text()
	args := []any{"acl", "setuser", user, "reset", "on", ">" + password}
	for _, r := range ACLRule(prefix) {
		args = append(args, r)
	}
	each(t, c, func(ctx context.Context, n *redis.Client) error { return n.Do(ctx, args...).Err() })
	t.Cleanup(func() {
		each(t, c, func(ctx context.Context, n *redis.Client) error { return n.Do(ctx, "acl", "deluser", user).Err() })
	})
	return user, password
}

func each(t testing.TB, c redis.UniversalClient, fn func(context.Context, *redis.Client) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var err error
	switch c := c.(type) {
	case *redis.ClusterClient:
		err = c.ForEachShard(ctx, fn)
	case *redis.Client:
		err = fn(ctx, c)
	default:
		t.Fatalf("ACLUser: %T is neither one server nor a cluster", c)
	}
	if err != nil {
		t.Fatalf("ACL on the test Redis: %v", err)
	}
}
