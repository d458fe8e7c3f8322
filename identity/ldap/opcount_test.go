package ldap_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/audit/syslog/syslogtest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// opCounter is an LDAPS relay in front of a lab server that reads every
// request a client sends and counts it by operation (search, modify,
// bind...): the honest way to see what a path asks of the directory, on
// the wire, whatever code sent it. It ends TLS with a certificate of its
// own (CAFile trusts it) and speaks LDAPS to the server behind it.
type opCounter struct {
	ln     net.Listener
	URL    string
	CAFile string
	roots  *x509.CertPool // what CAFile holds
	mu     sync.Mutex
	ops    map[string]int
}

func newOpCounter(t testing.TB, s *ldaptest.Server) *opCounter {
	t.Helper()
	// The syslog tests' throwaway CA issues for a DNS name: the relay is
	// reached as localhost.
	ca := syslogtest.NewCA(t)
	caFile := filepath.Join(t.TempDir(), "opcount-ca.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{ca.Issue("localhost")}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p := &opCounter{ln: ln, URL: "ldaps://localhost:" + port, CAFile: caFile, roots: ca.Pool, ops: map[string]int{}}
	t.Cleanup(func() { ln.Close() })
	target := strings.TrimPrefix(s.URL, "ldaps://")
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := tls.Dial("tcp", target, s.TLSConfig())
			if err != nil {
				in.Close()
				continue
			}
			go func() { p.relay(out, in); in.Close(); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close(); out.Close() }()
		}
	}()
	return p
}

// relay reads the client's requests one message at a time, counts each,
// and passes it on unchanged (its own bytes, re-encoded from the packet).
func (p *opCounter) relay(out, in net.Conn) {
	for {
		pkt, err := ber.ReadPacket(in)
		if err != nil {
			return
		}
		if len(pkt.Children) >= 2 {
			p.mu.Lock()
			p.ops[opName(pkt.Children[1].Tag)]++
			p.mu.Unlock()
		}
		if _, err := out.Write(pkt.Bytes()); err != nil {
			return
		}
	}
}

// take returns the counts since the last take and starts again from zero.
func (p *opCounter) take() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	got := p.ops
	p.ops = map[string]int{}
	return got
}

// dial opens an LDAPS connection through the relay (for the raw floor).
func (p *opCounter) dial(t testing.TB) *goldap.Conn {
	t.Helper()
	c, err := goldap.DialURL(p.URL, goldap.DialWithTLSConfig(&tls.Config{RootCAs: p.roots, ServerName: "localhost", MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func opName(tag ber.Tag) string {
	switch tag {
	case goldap.ApplicationBindRequest:
		return "bind"
	case goldap.ApplicationUnbindRequest:
		return "unbind"
	case goldap.ApplicationSearchRequest:
		return "search"
	case goldap.ApplicationModifyRequest:
		return "modify"
	case goldap.ApplicationExtendedRequest:
		return "extended"
	case goldap.ApplicationAbandonRequest:
		return "abandon"
	}
	return fmt.Sprintf("op%d", tag)
}
