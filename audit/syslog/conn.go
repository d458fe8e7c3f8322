package syslog

import (
	"context"
	"crypto/tls"
	"net"
	"sync/atomic"
	"time"
)

// conn is one connection to the receiver. It counts the raw bytes written
// (TLS records included), so the kernel's count of unacknowledged bytes
// says which frames the receiver's TCP stack has, and it watches for the
// receiver closing or resetting, which a syslog writer otherwise learns
// only from a later write, after the frames before it are lost.
type conn struct {
	net.Conn // frames are written here: the TCP conn or TLS over it
	raw      *net.TCPConn
	n        atomic.Int64
	dead     chan struct{}
	err      error // why it died; set before dead is closed
}

// counter counts what TLS (or the frame writer) hands to TCP.
type counter struct {
	*net.TCPConn
	n *atomic.Int64
}

func (c counter) Write(p []byte) (int, error) {
	n, err := c.TCPConn.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func (s *Sink) dial(ctx context.Context) (*conn, error) {
	d := net.Dialer{Timeout: s.opts.DialTimeout, KeepAlive: 15 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", s.opts.Addr)
	if err != nil {
		return nil, err
	}
	tc := nc.(*net.TCPConn)
	c := &conn{raw: tc, dead: make(chan struct{})}
	cw := counter{TCPConn: tc, n: &c.n}
	c.Conn = cw
	if s.opts.Network == "tls" {
		tl := tls.Client(cw, s.opts.TLS)
		hctx, cancel := context.WithTimeout(ctx, s.opts.DialTimeout)
		err := tl.HandshakeContext(hctx)
		cancel()
		if err != nil {
			tc.Close()
			return nil, err
		}
		c.Conn = tl
	}
	go c.watch()
	return c, nil
}

// watch reads until the connection ends. A syslog receiver sends nothing
// (TLS may send session tickets, which tls.Conn consumes), so EOF or an
// error means it closed or reset the connection.
func (c *conn) watch() {
	buf := make([]byte, 512)
	for {
		if _, err := c.Conn.Read(buf); err != nil {
			c.err = err
			close(c.dead)
			return
		}
	}
}

func (c *conn) alive() bool {
	select {
	case <-c.dead:
		return false
	default:
		return true
	}
}

// acked is how many raw bytes the receiver's TCP stack acknowledged. Where
// the kernel cannot say, everything written counts, and only the settle
// time protects the last frames.
func (c *conn) acked() int64 {
	n := c.n.Load()
	if q, ok := unacked(c.raw); ok {
		return n - q
	}
	return n
}
