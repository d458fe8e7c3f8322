package redisstream

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
)

// BenchmarkStreamWrite measures one acknowledged, sealed record: alone, from
// many goroutines of one replica (sent one at a time), and from two
// replicas (separate clients and sinks) racing for one head. Clients have
// ContextTimeoutEnabled, as recommended; "single-bounded" shows the cost
// of the goroutine a client without it needs.
func BenchmarkStreamWrite(b *testing.B) {
	ctx := context.Background()
	for _, name := range []string{"single", "single-bounded"} {
		b.Run(name, func(b *testing.B) {
			c := testClient(b)
			if name == "single" {
				c = benchClient(b)
			}
			s := newSink(b, c, testStream(b, c))
			e := event("request.submitted", "bench")
			for b.Loop() {
				if err := s.Write(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("parallel", func(b *testing.B) {
		c := benchClient(b)
		s := newSink(b, c, testStream(b, c))
		e := event("request.submitted", "bench")
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := s.Write(ctx, e); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("two-replicas", func(b *testing.B) {
		c := benchClient(b)
		stream := testStream(b, c)
		sinks := []*Sink{newSink(b, c, stream), newSink(b, benchClient(b), stream)}
		var next atomic.Uint32
		e := event("request.submitted", "bench")
		b.RunParallel(func(pb *testing.PB) {
			s := sinks[next.Add(1)%2]
			for pb.Next() {
				if err := s.Write(ctx, e); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(sinks[0].Conflicts()+sinks[1].Conflicts())/float64(b.N), "conflicts/op")
	})
}

func benchClient(b *testing.B) *redis.Client {
	testClient(b) // skips or fails without Redis
	opt, err := redis.ParseURL(redisURL())
	if err != nil {
		b.Fatal(err)
	}
	opt.ContextTimeoutEnabled = true
	c := redis.NewClient(opt)
	b.Cleanup(func() { c.Close() })
	return c
}
