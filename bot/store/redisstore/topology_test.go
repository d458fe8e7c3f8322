package redisstore_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/bot/store/redisstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

// topologies are the lab's Redis servers, each a store under a fresh prefix.
var topologies = []struct {
	name string
	open func(testing.TB) *redisstore.Store
	says string // what Topology answers
}{
	{"single", storetest.NewRedisStore, "one server"},
	{"cluster", storetest.NewClusterStore, "a cluster of 3 masters"},
	{"sentinel", storetest.NewSentinelStore, `the Sentinel master "` + storetest.SentinelMaster + `"`},
}

func TestTwoClientsCASCluster(t *testing.T) {
	testTwoClientsCAS(t, storetest.NewClusterStore(t), storetest.ClusterOptions(t))
}

// TestListEveryMaster writes keys until each master of the cluster holds
// some: a List that scanned one node would miss the others'.
func TestListEveryMaster(t *testing.T) {
	ctx := t.Context()
	s := storetest.NewClusterStore(t)
	cc := s.Client().(*redis.ClusterClient)
	var (
		mu     sync.Mutex
		owners = map[string]int{}
		want   []string
	)
	masters := 0
	if err := cc.ForEachMaster(ctx, func(context.Context, *redis.Client) error {
		mu.Lock()
		masters++
		mu.Unlock()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if masters < 2 {
		t.Fatalf("the test cluster has %d master(s); it needs several to show List scans each", masters)
	}
	for i := 0; len(owners) < masters; i++ {
		if i == 200 {
			t.Fatalf("200 keys landed on only %d of %d masters", len(owners), masters)
		}
		k := "req:" + strconv.Itoa(i)
		if _, err := s.Create(ctx, k, []byte("{}"), time.Hour); err != nil {
			t.Fatal(err)
		}
		m, err := cc.MasterForKey(ctx, s.Prefix()+k)
		if err != nil {
			t.Fatal(err)
		}
		owners[m.Options().Addr]++
		want = append(want, k)
	}
	got, err := s.List(ctx, "req:")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != strings.Join(slices.Sorted(slices.Values(want)), " ") {
		t.Fatalf("List = %v, want the %d keys spread over masters %v", got, len(want), owners)
	}
}

func TestTopology(t *testing.T) {
	ctx := t.Context()
	for _, tc := range topologies {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.open(t).Topology(ctx)
			if err != nil || got != tc.says {
				t.Fatalf("Topology = %q, %v; want %q", got, err, tc.says)
			}
		})
	}
	// A cluster with a master gone is not fine, even if some keys still work.
	down, err := redisstore.New(redisstore.Options{Mode: redisstore.ModeCluster, Addrs: []string{"127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := down.Ping(cctx); err == nil {
		t.Fatal("Ping of a cluster nobody answers for: want an error")
	}
}

func TestNewTopologyOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    redisstore.Options
		want string // in the error
	}{
		{"both", redisstore.Options{URL: "redis://h:1", Addrs: []string{"h:1"}}, "not both"},
		{"url+cluster", redisstore.Options{URL: "redis://h:1", Mode: redisstore.ModeCluster}, "addresses"},
		{"bad addr", redisstore.Options{Mode: redisstore.ModeCluster, Addrs: []string{"h"}}, "host:port"},
		{"two singles", redisstore.Options{Addrs: []string{"h:1", "h:2"}}, "one address"},
		{"sentinel, no name", redisstore.Options{Mode: redisstore.ModeSentinel, Addrs: []string{"h:1"}}, "master name"},
		{"name, no sentinel", redisstore.Options{Mode: redisstore.ModeCluster, Addrs: []string{"h:1"}, MasterName: "m"}, "master name"},
		{"cluster db", redisstore.Options{Mode: redisstore.ModeCluster, Addrs: []string{"h:1"}, DB: 2}, "database 0"},
		{"mode", redisstore.Options{Mode: "ring", Addrs: []string{"h:1"}}, "unknown mode"},
	} {
		_, err := redisstore.New(tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New = %v; want an error about %q", tc.name, err, tc.want)
		}
	}
}
