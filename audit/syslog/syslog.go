// Package syslog ships every sealed audit record to a SIEM as an RFC 5424
// message over TCP or TLS, framed by octet counting (RFC 6587 §3.4.1).
//
// Write and Append seal the event in call order and queue it in a bounded
// buffer; one sender writes the queue to the connection, reconnecting with
// capped exponential backoff. A record leaves the buffer only once the
// receiver's TCP stack has acknowledged it and the connection stayed up for
// a short settle time after that, so a receiver that dies with unread data
// gets it again: delivery is at least once, and a duplicate after a
// reconnect is byte-identical (same chain and seq) so the SIEM can drop it.
// When the buffer is full, Write and Append fail: the bot fails closed
// rather than changing accounts without an audit trail.
package syslog

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/audit"
)

// Options configure a Sink. Zero values take the defaults named below.
type Options struct {
	Network string      // "tcp" or "tls"
	Addr    string      // host:port of the receiver
	TLS     *tls.Config // for "tls": roots, client certificate, ServerName (default: Addr's host)
	// AppName is the APP-NAME field; default "unlockbot".
	AppName string
	// Hostname is the HOSTNAME field; default os.Hostname().
	Hostname string
	// Facility defaults to 13, "log audit" (RFC 5424 §6.2.1). 0 (kernel)
	// is never right for a user process, so it means the default.
	Facility int
	Keys     *audit.Keyring // seals every record; required
	// Chain names this sender's trail; default
	// "syslog:<hostname>:<pid>:<random>", so replicas and restarts of one
	// pod never share a chain (a SIEM keys duplicates on chain and seq).
	Chain        string
	Buffer       int           // records held while the receiver is away; default 10000
	DialTimeout  time.Duration // default 5s (TCP connect and TLS handshake)
	WriteTimeout time.Duration // default 10s; also how long a written record may stay unacknowledged
	// OmitBOM leaves out the UTF-8 BOM before MSG, for receivers that keep
	// it in the stored message and then fail to parse the JSON.
	OmitBOM bool
	Log     zerolog.Logger // connection changes; the zero Logger logs nothing
}

// Errors a caller can test for with errors.Is.
var (
	ErrFull   = errors.New("syslog audit buffer is full")
	ErrClosed = errors.New("syslog audit sink is closed")
)

// Sink is an audit.Appender that sends to syslog.
type Sink struct {
	opts  Options
	hdr   header
	chain *audit.Chain
	log   zerolog.Logger

	mu        sync.Mutex
	q         []entry // not yet confirmed, in seal order
	sent      int     // q[:sent] is written on the current connection
	connected bool
	lastErr   error // why the last dial or write failed, for Check
	closed    bool
	written   uint64
	failures  uint64
	progress  chan struct{} // closed and replaced whenever q shrinks

	wake chan struct{} // a record was queued
	stop chan struct{} // Shutdown is done waiting
	done chan struct{} // the sender returned
}

// entry is one queued record and where it stands on the current connection.
type entry struct {
	frame   []byte
	sealed  time.Time
	end     int64     // raw bytes on the connection once it was written
	wrote   time.Time // when it was written
	ackedAt time.Time // when the peer's TCP stack was first seen to have it
}

var (
	_ audit.Appender = (*Sink)(nil)
	_ audit.Watched  = (*Sink)(nil)
)

// New checks the options and starts the sender. The receiver need not be
// up: the sender keeps trying, and records wait in the buffer.
func New(opts Options) (*Sink, error) {
	const op = "audit/syslog.New"
	o, err := defaults(opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	s := &Sink{
		opts: o,
		hdr: header{facility: o.Facility, hostname: printable(o.Hostname, 255), appName: printable(o.AppName, 48),
			procID: strconv.Itoa(os.Getpid()), bom: !o.OmitBOM},
		chain:    audit.NewChain(o.Keys, o.Chain, audit.Link{}),
		log:      o.Log.With().Str("sink", "syslog").Str("addr", o.Addr).Logger(),
		progress: make(chan struct{}),
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go s.run()
	return s, nil
}

func defaults(o Options) (Options, error) {
	if o.Network != "tcp" && o.Network != "tls" {
		return o, fmt.Errorf("network is %q; use \"tcp\" or \"tls\"", o.Network)
	}
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil || host == "" {
		return o, fmt.Errorf("addr %q is not host:port", o.Addr)
	}
	if o.Network == "tcp" && o.TLS != nil {
		return o, errors.New("TLS settings are given but network is \"tcp\"; set network to \"tls\"")
	}
	if o.Keys == nil {
		return o, errors.New("no audit keyring: records must be sealed")
	}
	if o.Network == "tls" {
		c := &tls.Config{}
		if o.TLS != nil {
			c = o.TLS.Clone()
		}
		if c.ServerName == "" {
			c.ServerName = host
		}
		c.MinVersion = max(c.MinVersion, tls.VersionTLS12)
		o.TLS = c
	}
	if o.AppName == "" {
		o.AppName = "unlockbot"
	}
	if o.Hostname == "" {
		o.Hostname, _ = os.Hostname()
	}
	if o.Facility == 0 {
		o.Facility = 13
	}
	if o.Facility < 0 || o.Facility > 23 {
		return o, fmt.Errorf("facility %d is not 0 to 23", o.Facility)
	}
	if o.Chain == "" {
		r := make([]byte, 4)
		_, _ = rand.Read(r)
		o.Chain = "syslog:" + printable(o.Hostname, 255) + ":" + strconv.Itoa(os.Getpid()) + ":" + hex.EncodeToString(r)
	}
	if o.Buffer <= 0 {
		o.Buffer = 10000
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	return o, nil
}

// Write implements audit.Sink. It returns once the record is sealed and
// queued, not once the SIEM has it: syslog has no acknowledgement to wait
// for. Pair this sink with a durable one (the file) where that matters.
func (s *Sink) Write(ctx context.Context, e audit.Event) error { return s.Append(ctx, e) }

// Append implements audit.Appender: seal in call order and queue.
func (s *Sink) Append(ctx context.Context, e audit.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if len(s.q) >= s.opts.Buffer {
		return fmt.Errorf("%w: the syslog audit receiver at %s has been unreachable for %d records; resets are refused until it is back", ErrFull, s.opts.Addr, len(s.q))
	}
	line, err := s.chain.Seal(e)
	if err != nil {
		return err
	}
	r := audit.Record{Chain: s.chain.ID(), Seq: s.chain.At().Seq, Event: e}
	s.q = append(s.q, entry{frame: s.hdr.frame(r, line), sealed: time.Now()})
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// Name implements audit.Watched.
func (s *Sink) Name() string { return "syslog" }

// Check implements audit.Watched: an error while the receiver is not
// connected or the buffer is more than half full.
func (s *Sink) Check(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case !s.connected && s.lastErr != nil:
		return fmt.Errorf("the syslog audit receiver at %s is not reachable (%v); check that it runs and the address and TLS settings", s.opts.Addr, s.lastErr)
	case !s.connected:
		return fmt.Errorf("the syslog audit receiver at %s is not connected yet; check that it runs", s.opts.Addr)
	case len(s.q) > s.opts.Buffer/2:
		return fmt.Errorf("the syslog audit receiver at %s is %d records behind (buffer %d); check that it keeps up", s.opts.Addr, len(s.q), s.opts.Buffer)
	}
	return nil
}

// Stats implements audit.Watched. Written counts confirmed records once,
// however often they were resent.
func (s *Sink) Stats() audit.SinkStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := audit.SinkStats{Written: s.written, Failures: s.failures, Pending: len(s.q)}
	if len(s.q) > 0 {
		st.Lag = time.Since(s.q[0].sealed)
	}
	return st
}

// Shutdown refuses new records, waits until every queued one is confirmed
// or ctx ends, then closes the connection. It reports what was left.
func (s *Sink) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	first := !s.closed
	s.closed = true
	s.mu.Unlock()
	if first {
		defer func() { close(s.stop); <-s.done }()
	}
	for {
		s.mu.Lock()
		n, ch := len(s.q), s.progress
		s.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("audit/syslog: %d records were not delivered to %s before shutdown", n, s.opts.Addr)
		}
	}
}

// CloseTimeout bounds how long Close waits for the queue to drain.
const CloseTimeout = 10 * time.Second

// Close is Shutdown with CloseTimeout.
func (s *Sink) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), CloseTimeout)
	defer cancel()
	return s.Shutdown(ctx)
}
