package syslog_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/syslog"
	"github.com/unlockbot/unlockbot/audit/syslog/syslogtest"
)

func TestTCPDeliversEveryRecordInCallOrder(t *testing.T) {
	srv := syslogtest.Start(t, nil)
	keys, _ := testKeys(t)
	s := newSink(t, syslog.Options{Network: "tcp", Addr: srv.Addr, Keys: keys, Hostname: "bot-1"})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				write := s.Append
				if i%2 == 0 {
					write = s.Write
				}
				if err := write(context.Background(), event(g*100+i)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	shutdown(t, s, 10*time.Second)
	msgs := srv.WaitFor(5*time.Second, "400 messages", count(400))
	recs, dups := trail(t, keys, msgs)
	wantAll(t, recs, 400)
	if dups != 0 || len(msgs) != 400 {
		t.Fatalf("%d messages with %d duplicates on a healthy connection", len(msgs), dups)
	}
	if msgs[0].Hostname != "bot-1" || !strings.HasPrefix(recs[0].Chain, "syslog:bot-1:") {
		t.Fatalf("hostname %q chain %q", msgs[0].Hostname, recs[0].Chain)
	}
	if st := s.Stats(); st.Written != 400 || st.Pending != 0 || st.Failures != 0 || st.Lag != 0 {
		t.Fatalf("stats %+v after a clean run", st)
	}
	if err := s.Write(context.Background(), event(1)); !errors.Is(err, syslog.ErrClosed) {
		t.Fatalf("write after shutdown: %v", err)
	}
}

func TestReceiverDownAtStartGetsEverythingOnceUp(t *testing.T) {
	addr := syslogtest.FreeAddr(t)
	keys, _ := testKeys(t)
	s := newSink(t, syslog.Options{Network: "tcp", Addr: addr, Keys: keys})
	for i := 0; i < 50; i++ {
		if err := s.Append(context.Background(), event(i)); err != nil {
			t.Fatal(err)
		}
	}
	waitStats(t, s, "failing to connect", func(st audit.SinkStats) bool { return st.Failures > 0 })
	if err := s.Check(context.Background()); err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("check while the receiver is down: %v", err)
	}
	if st := s.Stats(); st.Pending != 50 || st.Written != 0 || st.Lag <= 0 {
		t.Fatalf("stats %+v while down", st)
	}
	srv := syslogtest.StartAt(t, addr, nil)
	waitStats(t, s, "all written", func(st audit.SinkStats) bool { return st.Written == 50 && st.Pending == 0 })
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("check once delivered: %v", err)
	}
	shutdown(t, s, 5*time.Second)
	recs, _ := trail(t, keys, srv.Messages())
	wantAll(t, recs, 50)
}

func TestReceiverKilledMidStreamLosesNothing(t *testing.T) {
	srv := syslogtest.Start(t, nil)
	keys, _ := testKeys(t)
	s := newSink(t, syslog.Options{Network: "tcp", Addr: srv.Addr, Keys: keys})
	const n = 3000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < n; i++ {
			if err := s.Append(context.Background(), event(i)); err != nil {
				t.Error(err)
				return
			}
			if i%20 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	for kill := 0; kill < 2; kill++ {
		srv.WaitFor(10*time.Second, "in mid-stream", count(600*(kill+1)))
		srv.Kill()
		time.Sleep(300 * time.Millisecond)
		srv.Restart()
	}
	<-done
	shutdown(t, s, 20*time.Second)
	recs, dups := trail(t, keys, srv.Messages())
	wantAll(t, recs, n)
	st := s.Stats()
	if st.Failures < 2 || st.Written != n {
		t.Fatalf("stats %+v after two receiver crashes", st)
	}
	t.Logf("%d records, %d resent duplicates dropped, %d failures", n, dups, st.Failures)
}

func TestFullBufferRefusesWritesUntilTheReceiverIsBack(t *testing.T) {
	addr := syslogtest.FreeAddr(t)
	keys, _ := testKeys(t)
	s := newSink(t, syslog.Options{Network: "tcp", Addr: addr, Keys: keys, Buffer: 5})
	for i := 0; i < 5; i++ {
		if err := s.Write(context.Background(), event(i)); err != nil {
			t.Fatal(err)
		}
	}
	err := s.Write(context.Background(), event(5))
	if !errors.Is(err, syslog.ErrFull) || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "resets are refused") {
		t.Fatalf("write into a full buffer: %v", err)
	}
	if st := s.Stats(); st.Pending != 5 || st.Lag <= 0 {
		t.Fatalf("stats %+v with a full buffer", st)
	}
	if err := s.Check(context.Background()); err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("check with a full buffer: %v", err)
	}
	srv := syslogtest.StartAt(t, addr, nil)
	waitStats(t, s, "drained", func(st audit.SinkStats) bool { return st.Pending == 0 })
	if err := s.Write(context.Background(), event(6)); err != nil {
		t.Fatalf("write once the receiver is back: %v", err)
	}
	shutdown(t, s, 5*time.Second)
	recs, _ := trail(t, keys, srv.Messages())
	wantAll(t, recs, 6) // the refused event was never sealed: no gap in the chain
	if recs[5].RequestID != "r6" {
		t.Fatalf("last record is %s", recs[5].RequestID)
	}
}

func TestCheckReportsABacklogOverHalfTheBuffer(t *testing.T) {
	addr := syslogtest.FreeAddr(t)
	keys, _ := testKeys(t)
	s := newSink(t, syslog.Options{Network: "tcp", Addr: addr, Keys: keys, Buffer: 10})
	for i := 0; i < 6; i++ {
		_ = s.Append(context.Background(), event(i))
	}
	syslogtest.StartAt(t, addr, nil)
	// Connected, but the six records are not confirmed for the settle time.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := s.Check(context.Background())
		if err != nil && strings.Contains(err.Error(), "6 records behind") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("check never reported the backlog: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitStats(t, s, "drained", func(st audit.SinkStats) bool { return st.Pending == 0 })
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("check once drained: %v", err)
	}
}

func TestOptionsAreChecked(t *testing.T) {
	keys, _ := testKeys(t)
	for _, o := range []syslog.Options{
		{Network: "udp", Addr: "siem:514", Keys: keys},
		{Network: "tcp", Addr: "siem", Keys: keys},
		{Network: "tcp", Addr: "siem:514"},
		{Network: "tcp", Addr: "siem:514", Keys: keys, TLS: syslogtest.NewCA(t).ServerTLS("x")},
		{Network: "tcp", Addr: "siem:514", Keys: keys, Facility: 24},
	} {
		if s, err := syslog.New(o); err == nil {
			s.Close()
			t.Errorf("options %+v accepted", o)
		}
	}
}

// A receiver that accepts and then never reads: the sender must notice,
// keep the records, and still shut down within its deadline.
func TestStalledReceiverKeepsRecordsAndShutdownKeepsItsDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	keys, _ := testKeys(t)
	s := newSink(t, syslog.Options{Network: "tcp", Addr: ln.Addr().String(), Keys: keys, WriteTimeout: 300 * time.Millisecond})
	big := strings.Repeat("x", 512<<10)
	const n = 40 // 20 MB: more than loopback socket buffers hold
	for i := 0; i < n; i++ {
		e := event(i)
		e.Detail = map[string]string{"note": big}
		if err := s.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	st := waitStats(t, s, "failing on the stalled receiver", func(st audit.SinkStats) bool { return st.Failures >= 1 })
	if st.Written >= n || st.Pending == 0 {
		t.Fatalf("stats %+v: records counted as delivered to a receiver that reads nothing", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Shutdown(ctx)
	if err == nil || !strings.Contains(err.Error(), "were not delivered") {
		t.Fatalf("shutdown with a stalled receiver: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("shutdown took %v past a 500ms deadline", d)
	}
}
