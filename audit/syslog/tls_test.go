package syslog_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/syslog"
	"github.com/unlockbot/unlockbot/audit/syslog/syslogtest"
)

const siemName = "siem.example.test" // the receiver's certificate name; it listens on 127.0.0.1

func TestTLSWithClientCertificateAndServerName(t *testing.T) {
	ca := syslogtest.NewCA(t)
	srv := syslogtest.Start(t, ca.ServerTLS(siemName))
	caFile, certFile, keyFile := ca.Files(t.TempDir(), "unlockbot")
	conf, err := syslog.TLSFiles{CAFile: caFile, CertFile: certFile, KeyFile: keyFile, ServerName: siemName}.Config()
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := testKeys(t)
	s := newSink(t, syslog.Options{Network: "tls", Addr: srv.Addr, TLS: conf, Keys: keys})
	for i := 0; i < 100; i++ {
		if err := s.Write(context.Background(), event(i)); err != nil {
			t.Fatal(err)
		}
	}
	shutdown(t, s, 10*time.Second)
	recs, dups := trail(t, keys, srv.Messages())
	wantAll(t, recs, 100)
	if dups != 0 {
		t.Fatalf("%d duplicates on a healthy TLS connection", dups)
	}
}

// refused runs a sink against the receiver and asserts it never counts a
// record as written, the receiver keeps none, and Check says why.
func refused(t *testing.T, srv *syslogtest.Server, conf *tls.Config, why string) {
	t.Helper()
	keys, _ := testKeys(t)
	s := newSink(t, syslog.Options{Network: "tls", Addr: srv.Addr, TLS: conf, Keys: keys})
	for i := 0; i < 10; i++ {
		_ = s.Append(context.Background(), event(i))
	}
	waitStats(t, s, "failing", func(st audit.SinkStats) bool { return st.Failures >= 2 })
	time.Sleep(700 * time.Millisecond) // longer than the settle time
	if st := s.Stats(); st.Written != 0 || st.Pending != 10 {
		t.Fatalf("stats %+v: records counted as delivered to a receiver that refused the connection", st)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("receiver kept %d messages", n)
	}
	// The sender may be between a handshake and the refusal; ask again.
	var err error
	for try := 0; try < 100; try++ {
		if err = s.Check(context.Background()); err != nil && strings.Contains(err.Error(), srv.Addr) && strings.Contains(err.Error(), why) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("check: %v, want the address and %q", err, why)
}

func TestTLSRefusesAWrongCAOrName(t *testing.T) {
	ca := syslogtest.NewCA(t)
	srv := syslogtest.Start(t, ca.ServerTLS(siemName))
	client := ca.Issue("unlockbot")
	t.Run("wrong CA", func(t *testing.T) {
		other := syslogtest.NewCA(t)
		refused(t, srv, &tls.Config{RootCAs: other.Pool, ServerName: siemName, Certificates: []tls.Certificate{client}}, "certificate")
	})
	t.Run("wrong name", func(t *testing.T) {
		refused(t, srv, &tls.Config{RootCAs: ca.Pool, ServerName: "other.example.test", Certificates: []tls.Certificate{client}}, "certificate")
	})
	t.Run("default name is the address host", func(t *testing.T) {
		refused(t, srv, &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{client}}, "IP SANs")
	})
	t.Run("no client certificate", func(t *testing.T) {
		// With TLS 1.3 the client finishes first and learns of the refusal
		// only after it wrote: nothing may count as delivered.
		refused(t, srv, &tls.Config{RootCAs: ca.Pool, ServerName: siemName}, "certificate")
	})
	if srv.FailedHandshakes() == 0 {
		t.Fatal("the receiver saw no failed handshake")
	}
}

func TestStructuredDataEscapesHostileValues(t *testing.T) {
	srv := syslogtest.Start(t, nil)
	keys, _ := testKeys(t)
	s := newSink(t, syslog.Options{Network: "tcp", Addr: srv.Addr, Keys: keys, Hostname: "bot 1\n", AppName: "unlock bot"})
	hostile := []audit.Event{
		{Type: "request.submitted", Org: `ac]me"\`, RequestID: `r]"\1`, Outcome: audit.OK},
		{Type: "request refused, with a type far longer than thirty-two octets é", Org: "a\\]b\n[x=\"y\"]", RequestID: "\xff\xfe", Outcome: audit.Refused},
		{Type: "", Org: "", RequestID: "", Outcome: audit.Failed},
	}
	for _, e := range hostile {
		e.Time = time.Now()
		if err := s.Write(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	shutdown(t, s, 5*time.Second)
	msgs := srv.WaitFor(time.Second, "3 messages", count(3))
	v := audit.NewVerifier(keys)
	for i, m := range msgs {
		if _, err := v.Next(m.Msg); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		sd := m.SD[syslog.SDID]
		want := strings.ToValidUTF8(hostile[i].Org, "\uFFFD")
		if sd["org"] != want || sd["req"] != strings.ToValidUTF8(hostile[i].RequestID, "\uFFFD") {
			t.Fatalf("message %d: org %q req %q, want %q %q", i, sd["org"], sd["req"], want, hostile[i].RequestID)
		}
		if m.Hostname != "bot_1_" || m.AppName != "unlock_bot" {
			t.Fatalf("hostname %q app %q", m.Hostname, m.AppName)
		}
	}
	if got := msgs[1].MsgID; got != "request_refused,_with_a_type_far" {
		t.Fatalf("MSGID %q", got)
	}
	if _, ok := msgs[2].SD[syslog.SDID]["org"]; ok || msgs[2].MsgID != "-" {
		t.Fatalf("empty values: SD %v MSGID %q", msgs[2].SD, msgs[2].MsgID)
	}
}

// syncBuffer is a log writer the sender and the test may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestTheHMACKeyNeverLeavesTheProcess(t *testing.T) {
	srv := syslogtest.Start(t, nil)
	keys, key := testKeys(t)
	var logs syncBuffer
	s := newSink(t, syslog.Options{Network: "tcp", Addr: srv.Addr, Keys: keys, Log: zerolog.New(&logs)})
	for i := 0; i < 300; i++ {
		_ = s.Append(context.Background(), event(i))
		if i == 100 {
			srv.WaitFor(5*time.Second, "some messages", count(50))
			srv.Kill() // so the sender logs failures and reconnects
			time.Sleep(200 * time.Millisecond)
			srv.Restart()
		}
	}
	shutdown(t, s, 10*time.Second)
	if !strings.Contains(logs.String(), "audit syslog receiver unavailable") {
		t.Fatalf("the failure was not logged: %s", logs.String())
	}
	var all bytes.Buffer
	for _, m := range srv.Messages() {
		all.Write(m.Frame)
	}
	all.WriteString(logs.String())
	for _, form := range [][]byte{key, []byte(hex.EncodeToString(key)), []byte(base64.StdEncoding.EncodeToString(key)), []byte(base64.RawURLEncoding.EncodeToString(key))} {
		if bytes.Contains(all.Bytes(), form) {
			t.Fatal("the HMAC key appears in a frame or a log line")
		}
	}
	recs, _ := trail(t, keys, srv.Messages())
	wantAll(t, recs, 300)
}
