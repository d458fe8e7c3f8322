package jobqueue

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestReapDropsOnlyIdleEmptyConsumers: a killed replica's consumer with
// nothing pending leaves the group once it is stale; one still holding a
// job stays (its job is claimed, not lost), and so does this replica.
func TestReapDropsOnlyIdleEmptyConsumers(t *testing.T) {
	old := staleConsumer
	staleConsumer = 100 * time.Millisecond
	t.Cleanup(func() { staleConsumer = old })
	c := client(t)
	stream := newStream(t, c)
	// Not listening: only the consumers this test makes read the stream.
	q, err := New(Options{Client: c, Stream: stream, Consumer: "self", Visibility: time.Minute, Log: testLog()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	read := func(consumer string, n int64) {
		t.Helper()
		err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: DefaultGroup, Consumer: consumer, Streams: []string{stream, ">"}, Count: n, Block: -1}).Err()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
	}
	q.ensureGroup()
	for _, name := range []string{"self", "ghost"} { // this replica, and a killed one holding nothing
		if err := c.XGroupCreateConsumer(ctx, stream, DefaultGroup, name).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: map[string]any{"job": "{}"}}).Err(); err != nil {
		t.Fatal(err)
	}
	read("holder", 1) // takes the entry and dies holding it
	time.Sleep(200 * time.Millisecond)
	q.reap()
	names := map[string]bool{}
	cs, err := c.XInfoConsumers(ctx, stream, DefaultGroup).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range cs {
		names[x.Name] = true
	}
	if names["ghost"] {
		t.Error("a stale consumer with nothing pending is still in the group")
	}
	if !names["holder"] {
		t.Error("a consumer still holding a job was dropped: its job would be lost to XAUTOCLAIM")
	}
	if !names["self"] {
		t.Errorf("the replica dropped itself: %v", names)
	}
}
