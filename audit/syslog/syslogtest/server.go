package syslogtest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Server receives syslog over TCP (or TLS when Start is given a config)
// on one address it keeps across Kill and Restart.
type Server struct {
	t    testing.TB
	tls  *tls.Config
	Addr string

	mu         sync.Mutex
	ln         net.Listener
	conns      map[net.Conn]bool
	msgs       []Message
	violations []error
	handshakes int // failed TLS handshakes
	accepted   int
}

// FreeAddr is a loopback address nobody listens on, for a receiver that is
// down when the sender starts.
func FreeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Start listens on a fresh loopback port.
func Start(t testing.TB, conf *tls.Config) *Server { return StartAt(t, FreeAddr(t), conf) }

// StartAt listens on addr. At cleanup it stops and fails the test for any
// protocol violation it saw.
func StartAt(t testing.TB, addr string, conf *tls.Config) *Server {
	s := &Server{t: t, tls: conf, Addr: addr, conns: map[net.Conn]bool{}}
	s.Restart()
	t.Cleanup(func() {
		s.Kill()
		for _, v := range s.Violations() {
			t.Errorf("syslog receiver: %v", v)
		}
	})
	return s
}

// Restart listens again on the same address after Kill.
func (s *Server) Restart() {
	var ln net.Listener
	var err error
	for try := 0; try < 50; try++ { // the old socket may linger a moment
		if ln, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("syslog receiver: listen %s: %v", s.Addr, err)
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	go s.accept(ln)
}

// Kill stops listening and resets every connection, dropping whatever the
// kernel had received and the server had not read: a crashed receiver.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		c.Close()
		s.conns[c] = false
	}
}

func (s *Server) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.accepted++
		s.mu.Unlock()
		go s.read(c)
	}
}

func (s *Server) read(c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	var rd io.Reader = c
	if s.tls != nil {
		tc := tls.Server(c, s.tls)
		if err := tc.Handshake(); err != nil {
			s.mu.Lock()
			s.handshakes++
			s.mu.Unlock()
			return
		}
		rd = tc
	}
	br := bufio.NewReader(rd)
	for {
		frame, err := ReadFrame(br)
		s.mu.Lock()
		live := s.conns[c]
		s.mu.Unlock()
		if err != nil {
			var ne net.Error
			if live && !errors.Is(err, io.EOF) && !errors.As(err, &ne) && !errors.Is(err, net.ErrClosed) {
				s.violation(err)
			}
			return
		}
		m, err := Parse(frame)
		if err != nil {
			s.violation(err)
			return
		}
		s.mu.Lock()
		if s.conns[c] { // a killed receiver keeps nothing it read after the kill
			s.msgs = append(s.msgs, m)
		}
		s.mu.Unlock()
	}
}

func (s *Server) violation(err error) {
	s.mu.Lock()
	s.violations = append(s.violations, err)
	s.mu.Unlock()
}

// Messages is a copy of everything received, in arrival order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Violations are the frames or messages that broke RFC 6587 or 5424.
func (s *Server) Violations() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.violations...)
}

// FailedHandshakes counts TLS clients the server refused or that refused it.
func (s *Server) FailedHandshakes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handshakes
}

// WaitFor waits until ok holds for the messages received, or fails the test.
func (s *Server) WaitFor(d time.Duration, what string, ok func([]Message) bool) []Message {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		m := s.Messages()
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("syslog receiver: after %v, %d messages and still not %s", d, len(m), what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
