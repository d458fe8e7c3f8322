package storetest

import (
	"cmp"
	"context"
	"crypto/rand"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store/redisstore"
)

// DefaultRedisURL is where .ci/redis.sh starts the test Redis.
const DefaultRedisURL = "redis://127.0.0.1:6390/0"

var pinged sync.Map // URL → func() error, so an unreachable host costs one timeout

// RedisURL returns the test Redis URL from UNLOCKBOT_TEST_REDIS_URL (default
// DefaultRedisURL) once it answers a ping. Without a Redis the test is
// skipped locally but fails in CI, where skipping would hide the contract.
func RedisURL(t testing.TB) string {
	t.Helper()
	url := cmp.Or(os.Getenv("UNLOCKBOT_TEST_REDIS_URL"), DefaultRedisURL)
	once, _ := pinged.LoadOrStore(url, sync.OnceValue(func() error { return ping(url) }))
	if err := once.(func() error)(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis not reachable at %s (CI must provide it; see .ci/redis.sh): %v", url, err)
		}
		t.Skipf("Redis not reachable at %s; start it with `make services` (or .ci/redis.sh)", url)
	}
	return url
}

func ping(url string) error {
	s, err := redisstore.New(redisstore.Options{URL: url})
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
	s, err := redisstore.New(redisstore.Options{URL: RedisURL(t), Prefix: "test:" + rand.Text() + ":"})
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
