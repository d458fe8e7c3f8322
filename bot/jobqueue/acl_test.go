package jobqueue

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

// TestQueueAsACLUser runs the queue's whole life (group creation, reads,
// acks, the keeper's refresh, stats, take-over of a dead consumer's job,
// hand-back at drain, leaving the group) as a Redis user holding exactly
// storetest.ACLCommands, the rule set docs/redis.md prints: a command
// missing there fails here, as NOPERM in an answer or in the log.
func TestQueueAsACLUser(t *testing.T) {
	admin := client(t)
	stream := newStream(t, admin)
	user, pw := storetest.ACLUser(t, admin, "test:jobqueue:")
	opt := admin.(*redis.Client).Options()
	c := redis.NewClient(&redis.Options{Addr: opt.Addr, Username: user, Password: pw})
	t.Cleanup(func() { c.Close() })
	log := &lockedLog{}
	logged := zerolog.New(log)

	got := newRan()
	hold := make(chan struct{})
	defer close(hold)
	a := queueLogged(t, c, stream, Options{Consumer: "a", Visibility: 300 * time.Millisecond, HandBack: 100 * time.Millisecond}, logged, func(ctx context.Context, j bot.Job) {
		got.add(j)
		if j.RequestID == "held" {
			<-hold
		}
	})
	enqueue(t, a, job("r1"))
	got.wait(t, 1, 5*time.Second)
	enqueue(t, a, job("held"))
	got.wait(t, 1, 5*time.Second)
	// Past the visibility the keeper must have refreshed the held job,
	// and the gauges sampled the stream.
	for deadline := time.Now().Add(5 * time.Second); a.Stats().Pending != 1 || a.Stats().Depth != 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v as the ACL user, want the held job pending\n%s", a.Stats(), log.String())
		}
	}
	b := newRan()
	queueLogged(t, c, stream, Options{Consumer: "b", Visibility: 300 * time.Millisecond}, logged, func(_ context.Context, j bot.Job) { b.add(j) })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_ = a.Drain(ctx)
	b.wait(t, 1, 5*time.Second)
	if b.count("held") != 1 {
		t.Fatalf("the handed-back job did not reach the second consumer: %+v", b.jobs)
	}
	if l := log.String(); strings.Contains(l, "NOPERM") || strings.Contains(l, "can't run this command") || strings.Contains(l, "no permissions") {
		t.Fatalf("a command the ACL rule set lacks:\n%s", log.String())
	}
}

// lockedLog collects log lines written from many goroutines.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
