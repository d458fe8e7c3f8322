package ldap_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// TestADReconnect: the pooled connection dies under the Directory (a DC
// restart, a firewall idle timeout); the next operation reconnects and
// succeeds without the caller noticing.
func TestADReconnect(t *testing.T) {
	s := ldaptest.AD(t)
	p := newProxy(t, strings.TrimPrefix(s.URL, "ldaps://"))
	d := newDir(t, s, func(c *ldap.Config) { c.URL = "ldaps://" + p.addr() })
	ctx := ctxT(t)
	if _, err := d.Lookup(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	p.cut()
	time.Sleep(20 * time.Millisecond)
	if _, err := d.Lookup(ctx, "alice"); err != nil {
		t.Fatalf("after a dropped connection: %v", err)
	}
	if n := p.accepts.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (one reused, one after the drop)", n)
	}
}

// TestADPoolBound: 16 concurrent callers, MaxConns 2: never more than two
// connections, everyone served.
func TestADPoolBound(t *testing.T) {
	s := ldaptest.AD(t)
	p := newProxy(t, strings.TrimPrefix(s.URL, "ldaps://"))
	d := newDir(t, s, func(c *ldap.Config) { c.URL, c.MaxConns = "ldaps://"+p.addr(), 2 })
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := []string{"alice", "bob", "carol", "dadmin"}[i%4]
			_, err := d.Lookup(ctx, name)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if peak := p.peak.Load(); peak > 2 {
		t.Errorf("peak %d connections, MaxConns is 2", peak)
	}
}

// TestTimeouts: a server that accepts and never answers costs DialTimeout,
// not forever, and is reported as unavailable.
func TestTimeouts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	d, err := ldap.New(ldap.Config{Kind: ldap.KindAD, URL: "ldaps://" + ln.Addr().String(), DialTimeout: 200 * time.Millisecond,
		BindDN: "CN=svc,DC=x", BindPassword: identity.NewSecret("x"), BaseDN: "DC=x"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	start := time.Now()
	_, err = d.Lookup(context.Background(), "alice")
	wantKind(t, err, identity.KindUnavailable, nil)
	t.Logf("unanswered dial gave up after %v (200ms timeout, one retry)", time.Since(start))

	// A caller's deadline shorter than the timeouts wins.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = d.Search(ctx, "al", 5)
	wantKind(t, err, identity.KindUnavailable, identity.ErrUnavailable)
	if ctx.Err() == nil {
		t.Error("the search returned before the caller's deadline: it was not the deadline that ended it")
	}
}

// TestADWrongCA: a certificate from another CA is refused, and said so.
func TestADWrongCA(t *testing.T) {
	s := ldaptest.AD(t)
	other := ldaptest.Slapd(t) // a different lab CA
	d := newDir(t, s, func(c *ldap.Config) { c.CAFile = other.CAFile })
	err := d.Ping(ctxT(t))
	ie := wantKind(t, err, identity.KindForbidden, identity.ErrInsecure)
	if !strings.Contains(ie.Safe, "certificate") {
		t.Errorf("safe = %q", ie.Safe)
	}
}

func TestADWrongBotPassword(t *testing.T) {
	s := ldaptest.AD(t)
	d := newDir(t, s, func(c *ldap.Config) { c.BindPassword = identity.NewSecret("not-the-password") })
	err := d.Ping(ctxT(t))
	ie := wantKind(t, err, identity.KindForbidden, identity.ErrRights)
	if !strings.Contains(ie.Safe, "bot account cannot sign in") || strings.Contains(err.Error(), "not-the-password") {
		t.Errorf("safe = %q, err = %v", ie.Safe, err)
	}
}

// TestADCheck: the delegated bot holds exactly the rights a reset needs on
// OU=Staff, none on OU=Outside, and is in no protected group.
func TestADCheck(t *testing.T) {
	s := ldaptest.AD(t)
	ctx := ctxT(t)
	r, err := newDir(t, s).Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || !r.BaseDNFound || !r.Encrypted || len(r.BotProtectedGroups) > 0 || !strings.EqualFold(r.BotDN, s.BotDN) {
		t.Errorf("report: %+v", r)
	}
	for _, rc := range r.Rights {
		if rc.State != ldap.RightGranted {
			t.Errorf("right %s: %s (%s)", rc.Name, rc.State, rc.Detail)
		}
	}
	if len(r.Rights) != 3 {
		t.Errorf("rights checked: %+v", r.Rights)
	}
	t.Logf("check (OU=Staff):\n  %s", strings.Join(r.Lines(), "\n  "))

	outside, err := newDir(t, s, func(c *ldap.Config) { c.BaseDN = s.OutsideDN }).Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if outside.OK() || len(outside.Problems) != 3 {
		t.Errorf("OU=Outside must report three missing rights: %+v", outside)
	}

	// Bound by UPN instead of DN, the bot is still found and checked.
	upn, err := newDir(t, s, func(c *ldap.Config) { c.BindDN = "svc-unlockbot@example.test" }).Check(ctx)
	if err != nil || !upn.OK() || !strings.EqualFold(upn.BotDN, s.BotDN) {
		t.Errorf("check bound by UPN: %+v, %v", upn, err)
	}

	// The administrator as "bot" is reported as far too privileged.
	admin, err := newDir(t, s, func(c *ldap.Config) {
		c.BindDN, c.BindPassword = s.AdminDN, identity.NewSecret(s.AdminPassword)
	}).Check(ctx)
	if err != nil || len(admin.BotProtectedGroups) == 0 || len(admin.Warnings) == 0 {
		t.Errorf("check as Administrator: %+v, %v", admin, err)
	}

	missing, err := newDir(t, s, func(c *ldap.Config) { c.BaseDN = "OU=Nope," + s.BaseDN }).Check(ctx)
	if err != nil || missing.BaseDNFound || missing.OK() {
		t.Errorf("missing base DN: %+v, %v", missing, err)
	}
}

// TestOpTimeoutUnderALongDeadline: a server that goes silent mid-session
// costs OpTimeout (here 200 ms, with one retry), not the caller's whole
// deadline: a caller willing to wait longer does not make every operation
// wait as long.
func TestOpTimeoutUnderALongDeadline(t *testing.T) {
	s := ldaptest.AD(t)
	p := newProxy(t, strings.TrimPrefix(s.URL, "ldaps://"))
	d := newDir(t, s, func(c *ldap.Config) {
		c.URL, c.OpTimeout, c.DialTimeout = "ldaps://"+p.addr(), 200*time.Millisecond, 200*time.Millisecond
	})
	if _, err := d.Lookup(ctxT(t), "alice"); err != nil {
		t.Fatal(err)
	}
	p.stalled.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := d.Lookup(ctx, "alice")
	wantKind(t, err, identity.KindUnavailable, nil)
	if ctx.Err() != nil {
		t.Fatal("the silent server held the lookup until the caller's deadline, not OpTimeout")
	}
}
