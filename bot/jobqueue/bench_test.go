package jobqueue

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot"
)

// BenchmarkEnqueueToStart measures how long a click's job waits between
// Enqueue and its handler starting, one job at a time: on this process
// (bot.InProcess, one replica) and through the shared Redis stream (a
// blocked reader woken by the XADD). p50 and p99 are reported as metrics.
func BenchmarkEnqueueToStart(b *testing.B) {
	b.Run("inprocess", func(b *testing.B) {
		p := bot.NewInProcess(zerolog.Nop())
		measure(b, p)
		_ = p.Drain(context.Background())
	})
	b.Run("redis", func(b *testing.B) {
		c := client(b)
		q, err := New(Options{Client: c, Stream: newStream(b, c), Log: testLog()})
		if err != nil {
			b.Fatal(err)
		}
		measure(b, q)
		_ = q.Drain(context.Background())
	})
}

func measure(b *testing.B, jobs bot.Jobs) {
	started := make(chan time.Time, 1)
	jobs.Start(func(context.Context, bot.Job) { started <- time.Now() })
	if q, ok := jobs.(*Queue); ok {
		q.Listen()
		// The first read creates the group; wait for one job to go through.
		_ = q.Enqueue(context.Background(), job("warm"))
		<-started
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if err := jobs.Enqueue(context.Background(), job("r")); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-started).Sub(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
}
