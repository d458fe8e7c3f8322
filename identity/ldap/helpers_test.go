package ldap_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newDir returns a Directory bound as the lab's delegated bot (never the
// administrator), scoped to the delegated OU, with mods applied.
func newDir(t testing.TB, s *ldaptest.Server, mods ...func(*ldap.Config)) *ldap.Directory {
	t.Helper()
	cfg := ldap.Config{
		Kind: ldap.KindAD, URL: s.URL, CAFile: s.CAFile,
		BindDN: s.BotDN, BindPassword: identity.NewSecret(s.BotPassword),
		BaseDN: s.UsersDN, IntentionalLockGroup: s.IntentionalLockDN,
	}
	if s.Kind == "ldap" {
		cfg.Kind = ldap.KindLDAP
	}
	for _, m := range mods {
		m(&cfg)
	}
	d, err := ldap.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// newPassword returns a fresh password that meets AD complexity.
func newPassword() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "Rst-" + hex.EncodeToString(b) + "-Q7!"
}

// wantKind fails unless err is an *identity.Error of kind k wrapping target.
func wantKind(t testing.TB, err error, k identity.Kind, target error) *identity.Error {
	t.Helper()
	var ie *identity.Error
	if !errors.As(err, &ie) {
		t.Fatalf("want *identity.Error of kind %s, got %v", k, err)
	}
	if ie.Kind != k {
		t.Fatalf("kind = %s, want %s (%v)", ie.Kind, k, err)
	}
	if target != nil && !errors.Is(err, target) {
		t.Fatalf("errors.Is(%v) false for %v", target, err)
	}
	return ie
}

// bindCode returns AD's "data XXX" (or "49" for a plain ppolicy refusal,
// "" when the bind succeeded).
func bindCode(err error) string {
	if err == nil {
		return ""
	}
	var le *goldap.Error
	if !errors.As(err, &le) {
		return err.Error()
	}
	msg := ""
	if le.Err != nil {
		msg = le.Err.Error()
	}
	if i := strings.Index(msg, "data "); i >= 0 {
		return msg[i+5 : i+8]
	}
	return "49"
}

// proxy is a loopback TCP relay in front of a lab server: tests cut its
// connections to simulate a dropped link and count how many run at once.
type proxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	conns   []net.Conn
	open    atomic.Int32
	peak    atomic.Int32
	accepts atomic.Int32
	stalled atomic.Bool // requests are swallowed: the server never answers
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepts.Add(1)
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		n := p.open.Add(1)
		for {
			peak := p.peak.Load()
			if n <= peak || p.peak.CompareAndSwap(peak, n) {
				break
			}
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		var once sync.Once
		done := func() { once.Do(func() { p.open.Add(-1); in.Close(); out.Close() }) }
		go func() { p.relay(out, in); done() }()
		go func() { _, _ = io.Copy(in, out); done() }()
	}
}

// relay copies the client's bytes to the server, or swallows them once
// the proxy is stalled (a server hung mid-session: connected, silent).
func (p *proxy) relay(out, in net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := in.Read(buf)
		if n > 0 && !p.stalled.Load() {
			if _, werr := out.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// cut drops every relayed connection, as a firewall or a DC restart would.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
