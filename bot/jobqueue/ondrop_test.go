package jobqueue

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/bot"
)

// TestOnDropIsToldOfEachDroppedJob: serve audits dropped jobs through
// OnDrop, so it must hear of every one, with the job when it could be
// read: an entry that is no job, one delivered too often, and one whose
// handler panicked; and of nothing that ran.
func TestOnDropIsToldOfEachDroppedJob(t *testing.T) {
	c := client(t)
	stream := newStream(t, c)
	ctx := context.Background()
	for _, v := range [][]string{
		{"job", "{not json"},
		{"job", `{"action":"unlockbot.approve","request":"r-tired"}`, "n", fmt.Sprint(DefaultMaxDeliveries)},
	} {
		if err := c.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: v}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var told []string
	onDrop := func(j bot.Job, n int, why string) {
		mu.Lock()
		defer mu.Unlock()
		told = append(told, fmt.Sprintf("%s/%d/%s", j.RequestID, n, why))
	}
	r := newRan()
	q := queue(t, c, stream, Options{OnDrop: onDrop}, func(_ context.Context, j bot.Job) {
		r.add(j)
		if j.RequestID == "boom" {
			panic("boom")
		}
	})
	enqueue(t, q, job("boom"))
	enqueue(t, q, job("fine"))
	r.wait(t, 2, 5*time.Second)
	settled(t, c, stream)
	mu.Lock()
	defer mu.Unlock()
	got := strings.Join(told, "\n")
	if len(told) != 3 || !strings.Contains(got, "r-tired/"+fmt.Sprint(DefaultMaxDeliveries+1)+"/delivered too often") ||
		!strings.Contains(got, "boom/1/the job stopped") || !strings.Contains(got, "/1/the entry is not a job") || strings.Contains(got, "fine") {
		t.Fatalf("OnDrop was told:\n%s", got)
	}
}
