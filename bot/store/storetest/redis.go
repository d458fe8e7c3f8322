package storetest

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/bot/store/redisstore"
)

// DefaultRedisURL is where .ci/redis.sh starts the test Redis.
const DefaultRedisURL = "redis://127.0.0.1:6390/0"

var pinged sync.Map // URL or addresses → func() error, so an unreachable host costs one timeout

// RedisURL returns the test Redis URL from UNLOCKBOT_TEST_REDIS_URL (default
// DefaultRedisURL) once it answers a ping. Without a Redis the test is
// skipped locally but fails in CI, where skipping would hide the contract.
func RedisURL(t testing.TB) string {
	t.Helper()
	url := cmp.Or(os.Getenv("UNLOCKBOT_TEST_REDIS_URL"), DefaultRedisURL)
	need(t, "Redis", url, ".ci/redis.sh", redisstore.Options{URL: url})
	return url
}

// need skips the test locally, or fails it in CI, unless the server at opts
// answers; where and script name it in the message.
func need(t testing.TB, what, where, script string, opts redisstore.Options) {
	t.Helper()
	once, _ := pinged.LoadOrStore(where, sync.OnceValue(func() error { return ping(opts) }))
	if err := once.(func() error)(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not reachable at %s (CI must provide it; see %s): %v", what, where, script, err)
		}
		t.Skipf("%s not reachable at %s; start it with `make services` (or bash %s)", what, where, script)
	}
}

func ping(opts redisstore.Options) error {
	s, err := redisstore.New(opts)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.Ping(ctx)
}

// NewRedisStore returns a store on the test Redis under a fresh random
// prefix, so parallel tests and runs never see each other's keys; its keys
// are deleted when the test ends.
func NewRedisStore(t testing.TB) *redisstore.Store {
	t.Helper()
	return NewStoreAt(t, redisstore.Options{URL: RedisURL(t)})
}

// NewStoreAt dials opts under opts.Prefix (empty: a fresh random one) and
// deletes the prefix's keys when the test ends.
func NewStoreAt(t testing.TB, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	opts.Prefix = cmp.Or(opts.Prefix, TestPrefix())
	s, err := redisstore.New(opts)
	if err != nil {
		t.Fatalf("redisstore.New: %v", err)
	}
	t.Cleanup(func() {
		defer s.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		keys, err := s.List(ctx, "")
		for _, k := range keys {
			err = cmp.Or(err, s.Delete(ctx, k))
		}
		if err != nil {
			t.Errorf("cleaning test keys under %s: %v", s.Prefix(), err)
		}
	})
	return s
}

// TestPrefix is a fresh key prefix, so parallel tests never share keys.
func TestPrefix() string { return "test:" + rand.Text() + ":" }

// RawDump reads every key under prefix straight from Redis, whatever its
// type (records, markers, sliding windows, the job stream), for tests
// that scan what is stored for secrets: the store's own API would show
// only records.
func RawDump(t testing.TB, prefix string) string {
	t.Helper()
	opt, err := redis.ParseURL(RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx := context.Background()
	keys, err := c.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + " ")
		switch typ := c.Type(ctx, k).Val(); typ {
		case "string":
			b.WriteString(c.Get(ctx, k).Val())
		case "hash":
			for f, v := range c.HGetAll(ctx, k).Val() {
				b.WriteString(f + "=" + v + " ")
			}
		case "zset":
			b.WriteString(strings.Join(c.ZRange(ctx, k, 0, -1).Val(), " "))
		case "stream": // the shared job queue
			for _, m := range c.XRange(ctx, k, "-", "+").Val() {
				for f, v := range m.Values {
					fmt.Fprintf(&b, "%s=%v ", f, v)
				}
			}
		case "none":
			// expired between KEYS and TYPE
		default:
			t.Fatalf("key %s has type %s, which the dump does not read", k, typ)
		}
		b.WriteString("\n")
	}
	return b.String()
}
