package ldap

import (
	"net"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// pipeConn is a started go-ldap connection on an in-memory pipe: enough
// for the idle lists, which never send on it.
func pipeConn(t *testing.T) *ldap.Conn {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	c := ldap.NewConn(a, false)
	c.Start()
	t.Cleanup(func() { c.Close() })
	return c
}

// closed waits for c's close, which popIdle does in the background.
func closed(t *testing.T, c *ldap.Conn) bool {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if c.IsClosing() {
			return true
		}
	}
	return false
}

// An idle list keeps at most MaxConns connections; one more is closed, as
// is one returned dead or after Close.
func TestPushIdleBounds(t *testing.T) {
	d := &Directory{slots: make(chan struct{}, 2)}
	var list []pooled
	a, b, extra := pipeConn(t), pipeConn(t), pipeConn(t)
	for _, c := range []*ldap.Conn{a, b, extra} {
		d.pushIdle(&list, c)
	}
	if len(list) != 2 || list[0].c != a || list[1].c != b || a.IsClosing() || b.IsClosing() || !extra.IsClosing() {
		t.Fatalf("after three returns with MaxConns 2: %d kept, extra closed %v", len(list), extra.IsClosing())
	}
	list = nil
	dead := pipeConn(t)
	dead.Close()
	d.pushIdle(&list, dead)
	if len(list) != 0 {
		t.Fatal("a dead connection was kept")
	}
	d.done = true
	late := pipeConn(t)
	d.pushIdle(&list, late)
	if len(list) != 0 || !late.IsClosing() {
		t.Fatal("a connection returned after Close was kept open")
	}
}

// popIdle hands out the most recently returned live connection; one idle
// longer than maxIdleAge, or dead, is closed and skipped.
func TestPopIdleSkipsStale(t *testing.T) {
	d := &Directory{slots: make(chan struct{}, 4)}
	older, live, stale, dead := pipeConn(t), pipeConn(t), pipeConn(t), pipeConn(t)
	dead.Close()
	now := time.Now()
	list := []pooled{
		{c: older, since: now.Add(-time.Second)},
		{c: live, since: now.Add(-maxIdleAge + time.Second)},
		{c: stale, since: now.Add(-maxIdleAge - time.Second)},
		{c: dead, since: now},
	}
	if got := d.popIdle(&list); got != live {
		t.Fatalf("popIdle gave %p, want the newest live one %p", got, live)
	}
	if !closed(t, stale) {
		t.Error("a connection idle past maxIdleAge was not closed")
	}
	if len(list) != 1 || list[0].c != older || older.IsClosing() || live.IsClosing() {
		t.Fatalf("left %d on the list, want the older live one", len(list))
	}
	if got := d.popIdle(&list); got != older || d.popIdle(&list) != nil {
		t.Fatal("the list did not empty in order")
	}
}
