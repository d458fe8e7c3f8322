package redisstream

import (
	"context"
	"testing"
)

// On a Redis Cluster the append script's three keys must hash to one slot,
// or Redis refuses it (CROSSSLOT); these run the single-server tests there.

func TestClusterSingleWriterChainVerifies(t *testing.T) { testSingleWriter(t, clusterClient(t)) }

func TestClusterLostHeadContinuesAfterLastEntry(t *testing.T) { testLostHead(t, clusterClient(t)) }

func TestClusterTwoProcessesKeepOneChain(t *testing.T) {
	testTwoProcesses(t, clusterClient(t), true)
}

// The hash tag is what makes the script legal: a stream whose keys
// spread over slots is refused by the cluster, which New prevents.
func TestClusterRefusesKeysInTwoSlots(t *testing.T) {
	c := clusterClient(t)
	ctx := context.Background()
	stream := "test:untagged:stream"
	keys := []string{stream, HeadKey(stream), turnKey(stream)}
	slots := map[int64]bool{}
	for _, k := range keys {
		slots[c.ClusterKeySlot(ctx, k).Val()] = true
	}
	if len(slots) < 2 {
		t.Skipf("the untagged keys happen to share a slot; pick another name")
	}
	err := appendScript.Run(ctx, c, keys, "", "1:x", "line", "id", "0").Err()
	if err == nil {
		c.Del(ctx, keys[0])
		t.Fatal("the cluster ran the append script over keys in several slots; want CROSSSLOT")
	}
	if _, err := New(Options{Client: c, Stream: stream, Keys: testKeys(t)}); err == nil {
		t.Fatal("New accepted a stream name without a hash tag")
	}
}
