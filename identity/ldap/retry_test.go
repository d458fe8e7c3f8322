package ldap

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// with retries an operation once, on a fresh connection, when its
// connection failed at the network level, and never more; a result the
// server chose to send is not retried and keeps the connection; a success
// runs once.
func TestWithRetriesOnceOnNetworkError(t *testing.T) {
	d := labDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	netErr := ldap.NewError(ldap.ErrorNetwork, errors.New("connection reset by peer"))

	var used []*ldap.Conn
	count := func(fail func(n int) error) func(*ldap.Conn) error {
		used = nil
		return func(c *ldap.Conn) error { used = append(used, c); return fail(len(used)) }
	}
	if err := d.with(ctx, count(func(int) error { return nil })); err != nil || len(used) != 1 {
		t.Fatalf("a success ran %d times: %v", len(used), err)
	}
	kept := used[0]
	err = d.with(ctx, count(func(int) error { return netErr }))
	if !errors.Is(err, netErr) || len(used) != 2 || used[0] != kept || used[1] == kept || !kept.IsClosing() || !used[1].IsClosing() {
		t.Fatalf("network errors every time: %d runs, %v; want two, each on its own connection, both closed", len(used), err)
	}
	if err := d.with(ctx, count(func(n int) error {
		if n == 1 {
			return netErr
		}
		return nil
	})); err != nil || len(used) != 2 {
		t.Fatalf("a network error then success: %d runs, %v", len(used), err)
	}
	kept = used[1]
	refused := ldap.NewError(ldap.LDAPResultNoSuchObject, errors.New("no such object"))
	if err := d.with(ctx, count(func(int) error { return refused })); !errors.Is(err, refused) || len(used) != 1 || used[0] != kept || kept.IsClosing() {
		t.Fatalf("a server's refusal: %d runs on a kept connection %v, %v; want one, the connection kept", len(used), used[0] == kept, err)
	}
}

// An operation cut short by its caller's deadline says so: the error is
// the deadline's as well as the operation's.
func TestRunNamesTheDeadline(t *testing.T) {
	d := labDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	opErr := errors.New("the search was cut off")
	err := d.with(ctx, func(*ldap.Conn) error { <-ctx.Done(); return opErr })
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, opErr) {
		t.Fatalf("err = %v, want the deadline and the operation's error", err)
	}
	if err := d.with(context.Background(), func(*ldap.Conn) error { return nil }); err != nil {
		t.Fatalf("after a deadline: %v", err)
	}
}

// labDir is a Directory on the AD lab as its delegated bot, closed when t
// ends.
func labDir(t *testing.T) *Directory {
	t.Helper()
	s := ldaptest.AD(t)
	d, err := New(Config{Kind: KindAD, URL: s.URL, CAFile: s.CAFile, BindDN: s.BotDN,
		BindPassword: identity.NewSecret(s.BotPassword), BaseDN: s.UsersDN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
