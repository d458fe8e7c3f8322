// Package smtptest is a strict SMTP submission server for tests, on
// loopback, speaking RFC 5321 with STARTTLS (RFC 3207) and AUTH PLAIN/LOGIN
// (RFC 4954) under a self-signed certificate made at start. It refuses what
// a careful MTA refuses (AUTH or MAIL before STARTTLS, AUTH before TLS,
// lines too long, bare LF, 8-bit data not declared) and captures each
// message it accepts, dot-unstuffed, for the test to read.
//
// It is a server in the test rather than a Debian MTA started by the CI
// scripts: it starts in a millisecond on any machine, needs no root, no
// package and no shared spool, and can play the server a test needs (one
// without STARTTLS, one that refuses the sign-in) beside the good one.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Options shape the server.
type Options struct {
	// NoSTARTTLS plays an old or stripped server: no STARTTLS offered, and
	// mail accepted in clear. A client that sends to it is wrong.
	NoSTARTTLS bool
	// ImplicitTLS speaks TLS from the first byte (port 465).
	ImplicitTLS bool
	// Users that may sign in (user → password); none: AUTH not required.
	Users map[string]string
	// Mechanisms offered after TLS (default PLAIN LOGIN).
	Mechanisms string
}

// Message is one accepted mail.
type Message struct {
	From     string
	To       []string
	Data     []byte // as received after dot-unstuffing, CRLF line ends
	TLS      bool
	AuthUser string
	Hello    string // the name the client gave in EHLO
}

// Server is a running fake. Create it with Start.
type Server struct {
	Addr   string         // 127.0.0.1:port
	CAFile string         // PEM of the self-signed certificate, to trust it
	Pool   *x509.CertPool // the same, for a tls.Config
	opts   Options
	ln     net.Listener
	tls    *tls.Config

	mu         sync.Mutex
	msgs       []Message
	violations []string // protocol errors a client made
	arrived    chan struct{}
	wg         sync.WaitGroup
}

// Start listens on loopback until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Mechanisms == "" {
		o.Mechanisms = "PLAIN LOGIN"
	}
	cert, pemBytes := selfSigned(t)
	s := &Server{opts: o, arrived: make(chan struct{}, 100),
		tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	s.Pool = x509.NewCertPool()
	s.Pool.AppendCertsFromPEM(pemBytes)
	s.CAFile = filepath.Join(t.TempDir(), "smtp-ca.pem")
	if err := os.WriteFile(s.CAFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln, s.Addr = ln, ln.Addr().String()
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			if s.opts.ImplicitTLS {
				tc := tls.Server(c, s.tls)
				if tc.Handshake() != nil {
					return
				}
				c = tc
			}
			newSession(s, c).run()
		}()
	}
}

// Messages returns what was accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Violations lists the protocol errors clients made (each answered 5xx).
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// Wait returns once n messages arrived, or fails the test after d.
func (s *Server) Wait(t testing.TB, n int, d time.Duration) []Message {
	t.Helper()
	deadline := time.After(d)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("smtptest: %d messages after %s, want %d", len(s.Messages()), d, n)
		}
	}
}

func (s *Server) keep(m Message) {
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
}

func (s *Server) violation(v string) {
	s.mu.Lock()
	s.violations = append(s.violations, v)
	s.mu.Unlock()
}

// selfSigned makes a P-256 certificate for 127.0.0.1 and localhost.
func selfSigned(t testing.TB) (tls.Certificate, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "smtptest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pemBytes
}
