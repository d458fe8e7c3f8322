package syslog_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/syslog"
	"github.com/unlockbot/unlockbot/audit/syslog/syslogtest"
)

func testKeys(t *testing.T) (*audit.Keyring, []byte) {
	key := make([]byte, 32)
	rand.Read(key)
	k, err := audit.NewKeyring("k1", map[string][]byte{"k1": key})
	if err != nil {
		t.Fatal(err)
	}
	return k, key
}

var outcomes = []string{audit.OK, audit.Refused, audit.Failed}

func event(i int) audit.Event {
	return audit.Event{Time: time.Now(), Type: "reset.password_set", RequestID: "r" + strconv.Itoa(i), Org: "acme",
		Actor: "slack:T1:U1", Target: "jdoe", Outcome: outcomes[i%3]}
}

func newSink(t *testing.T, o syslog.Options) *syslog.Sink {
	t.Helper()
	s, err := syslog.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

func shutdown(t *testing.T, s *syslog.Sink, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

var severities = map[string]int{audit.OK: 6, audit.Refused: 4, audit.Failed: 3}

// trail checks every message against the record it carries, drops exact
// duplicates of a record already seen (a resend after a reconnect), and
// verifies what is left as one chain. It returns the records in order and
// how many duplicates it dropped.
func trail(t *testing.T, keys *audit.Keyring, msgs []syslogtest.Message) ([]audit.Record, int) {
	t.Helper()
	v := audit.NewVerifier(keys)
	seen := map[uint64][]byte{}
	var out []audit.Record
	dups := 0
	pid := strconv.Itoa(os.Getpid())
	for i, m := range msgs {
		var r audit.Record
		if err := json.Unmarshal(m.Msg, &r); err != nil {
			t.Fatalf("message %d: MSG is not the sealed JSON: %v", i, err)
		}
		sd := m.SD[syslog.SDID]
		if sd["seq"] != strconv.FormatUint(r.Seq, 10) || sd["chain"] != r.Chain || sd["org"] != r.Org || sd["req"] != r.RequestID || sd["outcome"] != r.Outcome {
			t.Fatalf("message %d: structured data %v does not match record seq %d", i, sd, r.Seq)
		}
		if m.Facility != 13 || m.Severity != severities[r.Outcome] || m.AppName != "unlockbot" || m.ProcID != pid || !m.BOM {
			t.Fatalf("message %d: facility %d severity %d app %q procid %q bom %v for outcome %s", i, m.Facility, m.Severity, m.AppName, m.ProcID, m.BOM, r.Outcome)
		}
		if !m.Time.Equal(r.Time.UTC().Truncate(time.Microsecond)) {
			t.Fatalf("message %d: TIMESTAMP %v, event time %v", i, m.Time, r.Time)
		}
		if first, ok := seen[r.Seq]; ok {
			if !bytes.Equal(first, m.Frame) {
				t.Fatalf("seq %d arrived twice with different bytes", r.Seq)
			}
			dups++
			continue
		}
		seen[r.Seq] = m.Frame
		if _, err := v.Next(m.Msg); err != nil {
			t.Fatalf("message %d does not verify: %v", i, err)
		}
		out = append(out, r)
	}
	return out, dups
}

// wantAll fails unless records are seq 1..n with request ids r0..r(n-1).
func wantAll(t *testing.T, recs []audit.Record, n int) {
	t.Helper()
	if len(recs) != n {
		t.Fatalf("%d distinct records arrived, want %d", len(recs), n)
	}
	for i, r := range recs {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
	}
}

func count(n int) func([]syslogtest.Message) bool {
	return func(m []syslogtest.Message) bool { return len(m) >= n }
}

func distinct(n int) func([]syslogtest.Message) bool {
	return func(msgs []syslogtest.Message) bool {
		seqs := map[string]bool{}
		for _, m := range msgs {
			seqs[m.SD[syslog.SDID]["seq"]] = true
		}
		return len(seqs) >= n
	}
}

func waitStats(t *testing.T, s *syslog.Sink, what string, ok func(audit.SinkStats) bool) audit.SinkStats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := s.Stats()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v: still not %s", st, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
