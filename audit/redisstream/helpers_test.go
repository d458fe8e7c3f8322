package redisstream

import (
	"cmp"
	"context"
	"crypto/rand"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/audit"
)

// defaultRedisURL is where .ci/redis.sh starts the test Redis.
const defaultRedisURL = "redis://127.0.0.1:6390/0"

var reachable = sync.OnceValue(func() error {
	c, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
})

func redisURL() string { return cmp.Or(os.Getenv("UNLOCKBOT_TEST_REDIS_URL"), defaultRedisURL) }

func dial() (*redis.Client, error) {
	opt, err := redis.ParseURL(redisURL())
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opt), nil
}

// testClient is a client on the test Redis; without one the test skips
// locally and fails in CI, where skipping would hide the contract.
func testClient(t testing.TB) *redis.Client {
	t.Helper()
	need(t, "Redis", redisURL(), ".ci/redis.sh", reachable())
	c, err := dial()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// defaultClusterAddrs is where .ci/redis-cluster.sh starts the test cluster.
const defaultClusterAddrs = "127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103"

func clusterAddrs() []string {
	return strings.Split(cmp.Or(os.Getenv("UNLOCKBOT_TEST_REDIS_CLUSTER"), defaultClusterAddrs), ",")
}

var clusterUp = sync.OnceValue(func() error {
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: clusterAddrs()})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return m.Ping(ctx).Err() })
})

// clusterClient is a client on the test Redis Cluster; like testClient it
// skips locally and fails in CI without one.
func clusterClient(t testing.TB) *redis.ClusterClient {
	t.Helper()
	need(t, "Redis Cluster", strings.Join(clusterAddrs(), ","), ".ci/redis-cluster.sh", clusterUp())
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: clusterAddrs()})
	t.Cleanup(func() { c.Close() })
	return c
}

// need skips the test locally, or fails it in CI, when the server at where
// did not answer (err); script is how to start it.
func need(t testing.TB, what, where, script string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not reachable at %s (CI must provide it with `bash %s`): %v", what, where, script, err)
	}
	t.Skipf("%s not reachable at %s; start it with `bash %s` (%v)", what, where, script, err)
}

// testStream is a fresh stream name, deleted with its head when the test
// ends, so parallel runs never share a chain.
func testStream(t testing.TB, c redis.UniversalClient) string {
	t.Helper()
	stream := "test:" + rand.Text() + ":{audit}:stream"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Del(ctx, stream, HeadKey(stream), turnKey(stream)).Err(); err != nil {
			t.Errorf("deleting %s: %v", stream, err)
		}
	})
	return stream
}

// testKey is the HMAC key every test process uses (children must verify
// alike); tests that look for it in Redis know its bytes.
var testKey = []byte("redisstream-test-key-0123456789abcdef")

func testKeys(t testing.TB) *audit.Keyring {
	t.Helper()
	k, err := audit.NewKeyring("k1", map[string][]byte{"k1": testKey})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newSink(t testing.TB, c redis.UniversalClient, stream string) *Sink {
	t.Helper()
	s, err := New(Options{Client: c, Stream: stream, Keys: testKeys(t)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func event(typ, id string) audit.Event {
	return audit.Event{Time: time.Now().UTC(), Type: typ, RequestID: id, Org: "acme", Actor: "slack:U1", Outcome: audit.OK}
}
