package storetest

import (
	"cmp"
	"os"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/bot/store/redisstore"
)

// Where .ci/redis-cluster.sh and .ci/redis-sentinel.sh start their servers.
const (
	DefaultClusterAddrs  = "127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103"
	DefaultSentinelAddrs = "127.0.0.1:26391"
	SentinelMaster       = "unlockbot-lab"
)

// ClusterOptions dials the test Redis Cluster (UNLOCKBOT_TEST_REDIS_CLUSTER,
// comma-separated nodes, default DefaultClusterAddrs) once every master
// answers. Without it the test skips locally and fails in CI.
func ClusterOptions(t testing.TB) redisstore.Options {
	t.Helper()
	addrs := cmp.Or(os.Getenv("UNLOCKBOT_TEST_REDIS_CLUSTER"), DefaultClusterAddrs)
	o := redisstore.Options{Mode: redisstore.ModeCluster, Addrs: strings.Split(addrs, ",")}
	need(t, "Redis Cluster", addrs, ".ci/redis-cluster.sh", o)
	return o
}

// SentinelOptions dials the test master through its Sentinel
// (UNLOCKBOT_TEST_REDIS_SENTINEL, default DefaultSentinelAddrs, master
// SentinelMaster); without it the test skips locally and fails in CI.
func SentinelOptions(t testing.TB) redisstore.Options {
	t.Helper()
	addrs := cmp.Or(os.Getenv("UNLOCKBOT_TEST_REDIS_SENTINEL"), DefaultSentinelAddrs)
	o := redisstore.Options{Mode: redisstore.ModeSentinel, Addrs: strings.Split(addrs, ","), MasterName: SentinelMaster}
	need(t, "Redis Sentinel", addrs, ".ci/redis-sentinel.sh", o)
	return o
}

// NewClusterStore is NewRedisStore on the test cluster.
func NewClusterStore(t testing.TB) *redisstore.Store {
	t.Helper()
	return NewStoreAt(t, ClusterOptions(t))
}

// NewSentinelStore is NewRedisStore on the Sentinel master.
func NewSentinelStore(t testing.TB) *redisstore.Store {
	t.Helper()
	return NewStoreAt(t, SentinelOptions(t))
}
