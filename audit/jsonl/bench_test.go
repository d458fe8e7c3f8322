package jsonl

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// BenchmarkFileWrite is one durable Write of a typical event, alone and
// with concurrent writers; fsyncs/op shows what group commit shares.
func BenchmarkFileWrite(b *testing.B) {
	for _, c := range []struct {
		name string
		par  int
	}{{"serial", 0}, {"parallel8", 8}, {"parallel32", 32}} {
		b.Run(c.name, func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "audit.jsonl"), testKeys(b))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var syncs atomic.Int64
			s.fsync = func() error { syncs.Add(1); return s.f.Sync() }
			e := ev("rbenchmarkrequest01")
			e.Org, e.Actor, e.Target, e.TargetDN = "acme", "slack:T0123:U0123", "alice", "CN=Alice,OU=Staff,DC=acme,DC=local"
			e.Detail = map[string]string{"was_locked": "true", "sets_password": "true", "temporary": "true"}
			ctx := context.Background()
			if c.par == 0 {
				for b.Loop() {
					if err := s.Write(ctx, e); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.SetParallelism(c.par)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := s.Write(ctx, e); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.ReportMetric(float64(syncs.Load())/float64(b.N), "fsyncs/op")
		})
	}
}

// BenchmarkFileAppend is an event that reports a step already done: no
// fsync of its own.
func BenchmarkFileAppend(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "audit.jsonl"), testKeys(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	e := ev("rbenchmarkrequest01")
	ctx := context.Background()
	for b.Loop() {
		if err := s.Append(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}
