package ldap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// maxIdleAge bounds how long an idle connection is reused; directories and
// load balancers drop idle connections silently, and a fresh dial is cheaper
// than a failed operation plus a retry.
const maxIdleAge = 2 * time.Minute

// pooled is an idle connection and when it was returned.
type pooled struct {
	c     *ldap.Conn
	since time.Time
}

// bindError marks a failure of the service account's own bind, so the
// classifier can say "the bot cannot sign in" instead of blaming the user.
type bindError struct{ err error }

func (e *bindError) Error() string { return "service bind: " + e.err.Error() }
func (e *bindError) Unwrap() error { return e.err }

// acquire takes a connection slot, waiting at most as long as ctx allows.
func (d *Directory) acquire(ctx context.Context) error {
	select {
	case d.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for a free directory connection: %w", ctx.Err())
	}
}

func (d *Directory) release() { <-d.slots }

// with runs fn on a connection bound as the service account. A connection
// that failed at the network level is discarded and fn is retried once on a
// fresh one: every operation this package sends is idempotent (replace,
// delete-if-present, the same password again), so a retry cannot do harm.
func (d *Directory) with(ctx context.Context, fn func(*ldap.Conn) error) error {
	if err := d.acquire(ctx); err != nil {
		return err
	}
	defer d.release()
	for attempt := 0; ; attempt++ {
		c, err := d.take(ctx)
		if err != nil {
			return err
		}
		err = d.run(ctx, c, fn)
		if err == nil || (!isNetwork(err) && !c.IsClosing()) {
			d.put(c) // an LDAP result error leaves the connection usable
			return err
		}
		_ = c.Close()
		if attempt > 0 || ctx.Err() != nil {
			return err
		}
	}
}

// run bounds one use of c by OpTimeout and ctx: go-ldap has no context
// support, so cancellation closes the connection, which fails the pending
// operation at once.
func (d *Directory) run(ctx context.Context, c *ldap.Conn, fn func(*ldap.Conn) error) error {
	timeout := d.cfg.OpTimeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	c.SetTimeout(timeout)
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	err := fn(c)
	stop()
	if ctxErr := ctx.Err(); ctxErr != nil && err != nil {
		return fmt.Errorf("%w: %w", ctxErr, err)
	}
	return err
}

// take returns an idle bound connection or dials and binds a new one.
func (d *Directory) take(ctx context.Context) (*ldap.Conn, error) {
	if c := d.popIdle(&d.idle); c != nil {
		return c, nil
	}
	c, err := d.dial(ctx)
	if err != nil {
		return nil, err
	}
	bind := func(c *ldap.Conn) error { return c.Bind(d.cfg.BindDN, d.cfg.BindPassword.Reveal()) }
	if err := d.run(ctx, c, bind); err != nil {
		_ = c.Close()
		if isNetwork(err) {
			return nil, err
		}
		return nil, &bindError{err: err}
	}
	return c, nil
}

// put returns c to the idle list (or closes it when the Directory is closed).
func (d *Directory) put(c *ldap.Conn) { d.pushIdle(&d.idle, c) }

// popIdle takes the most recently returned live connection off list, or
// returns nil; stale ones are closed on the way.
func (d *Directory) popIdle(list *[]pooled) *ldap.Conn {
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(*list) > 0 {
		p := (*list)[len(*list)-1]
		*list = (*list)[:len(*list)-1]
		if p.c.IsClosing() || time.Since(p.since) > maxIdleAge {
			go p.c.Close() //nolint:errcheck // stale, nothing to report
			continue
		}
		return p.c
	}
	return nil
}

// pushIdle keeps c on list for reuse, at most MaxConns of them, or closes
// it (also when the Directory is closed).
func (d *Directory) pushIdle(list *[]pooled, c *ldap.Conn) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done || c.IsClosing() || len(*list) >= cap(d.slots) {
		_ = c.Close()
		return
	}
	*list = append(*list, pooled{c: c, since: time.Now()})
}

// dial connects and sets up TLS (LDAPS or StartTLS) with the CA verified.
// Dial, handshake and StartTLS together are bounded by DialTimeout.
func (d *Directory) dial(ctx context.Context) (*ldap.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, d.cfg.DialTimeout)
	defer cancel()
	var nd net.Dialer
	raw, err := nd.DialContext(dctx, "tcp", d.addr)
	if err != nil {
		return nil, ldap.NewError(ldap.ErrorNetwork, err)
	}
	if d.ldaps {
		tc := tls.Client(raw, d.tls)
		if err := tc.HandshakeContext(dctx); err != nil {
			_ = raw.Close()
			return nil, ldap.NewError(ldap.ErrorNetwork, err)
		}
		raw = tc
	}
	c := ldap.NewConn(raw, d.ldaps)
	c.Start()
	c.SetTimeout(d.cfg.DialTimeout)
	stop := context.AfterFunc(dctx, func() { _ = c.Close() })
	defer stop()
	if d.cfg.StartTLS {
		if err := c.StartTLS(d.tls); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	return c, nil
}

// isNetwork reports whether err means the connection itself failed (as
// opposed to an LDAP result the server chose to send).
func isNetwork(err error) bool {
	var le *ldap.Error
	if errors.As(err, &le) {
		return le.ResultCode == ldap.ErrorNetwork || le.ResultCode == ldap.LDAPResultServerDown
	}
	var ne net.Error
	return errors.As(err, &ne)
}
