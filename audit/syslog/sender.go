package syslog

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

const (
	// settle is how long a connection must stay up after the receiver's TCP
	// stack acknowledged a frame before the frame leaves the buffer. A
	// receiver that dies with unread data resets the connection at once,
	// so within this time the sender learns it and resends.
	settle = 500 * time.Millisecond
	// tick is how often written frames are checked for acknowledgement.
	tick       = 50 * time.Millisecond
	minBackoff = 100 * time.Millisecond
	maxBackoff = 10 * time.Second
	batchBytes = 64 << 10 // frames coalesced into one write
)

// run is the single sender: connect, send, confirm, and on any failure
// reconnect with capped exponential backoff and resend from the first
// unconfirmed record.
func (s *Sink) run() {
	defer close(s.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	backoff := minBackoff
	for {
		c, err := s.dial(ctx)
		if err == nil {
			s.mu.Lock()
			s.connected, s.lastErr = true, nil
			s.mu.Unlock()
			s.log.Info().Msg("audit syslog connected")
			// Stopping closes the connection, so a write stuck on a
			// stalled receiver does not hold Shutdown for WriteTimeout.
			unhook := context.AfterFunc(ctx, func() { c.Close() })
			var progressed bool
			progressed, err = s.serve(ctx, c)
			unhook()
			c.Close()
			s.mu.Lock()
			s.connected, s.sent = false, 0
			for i := range s.q {
				s.q[i].end, s.q[i].wrote, s.q[i].ackedAt = 0, time.Time{}, time.Time{}
			}
			s.mu.Unlock()
			if progressed {
				backoff = minBackoff
			}
		}
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		s.failures++
		s.lastErr = err
		pending := len(s.q)
		s.mu.Unlock()
		s.log.Warn().Err(err).Int("pending", pending).Dur("retry_in", backoff).Msg("audit syslog receiver unavailable; will resend unconfirmed records")
		select {
		case <-time.After(backoff/2 + rand.N(backoff/2+1)):
		case <-ctx.Done():
			return
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// serve writes queued frames to c and confirms them until c fails or the
// sink stops. progressed says whether any record was confirmed.
func (s *Sink) serve(ctx context.Context, c *conn) (progressed bool, err error) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		if !c.alive() {
			return progressed, fmt.Errorf("the receiver closed the connection: %w", c.err)
		}
		if err := s.send(c); err != nil {
			// The reader often has the better reason (a TLS alert such as
			// "certificate required") a moment before the write fails.
			select {
			case <-c.dead:
				return progressed, fmt.Errorf("the receiver closed the connection: %w", c.err)
			case <-time.After(100 * time.Millisecond):
				return progressed, err
			}
		}
		n, err := s.confirm(c)
		progressed = progressed || n > 0
		if err != nil {
			return progressed, err
		}
		s.mu.Lock()
		idle, inflight := s.sent == len(s.q), s.sent > 0
		s.mu.Unlock()
		if !idle {
			continue
		}
		var ticks <-chan time.Time
		if inflight {
			ticks = t.C
		}
		select {
		case <-ticks:
		case <-s.wake:
		case <-c.dead:
		case <-ctx.Done():
			return progressed, nil
		}
	}
}

// send writes the frames not yet written on c, a batch at a time. Only the
// sender changes s.sent or removes entries, so indexes hold outside the lock.
func (s *Sink) send(c *conn) error {
	for {
		s.mu.Lock()
		from := s.sent
		var batch []byte
		to := from
		for ; to < len(s.q) && len(batch) < batchBytes; to++ {
			batch = append(batch, s.q[to].frame...)
		}
		s.mu.Unlock()
		if to == from {
			return nil
		}
		_ = c.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
		if _, err := c.Write(batch); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		end, now := c.n.Load(), time.Now()
		s.mu.Lock()
		for i := from; i < to; i++ {
			s.q[i].end, s.q[i].wrote = end, now
		}
		s.sent = to
		s.mu.Unlock()
	}
}

var errNoAck = errors.New("the receiver has not acknowledged written data within the write timeout")

// confirm drops from the buffer the written records the receiver has had
// for settle on a connection that is still up, and fails the connection
// when a written record stays unacknowledged past the write timeout (a
// receiver that vanished without a reset).
func (s *Sink) confirm(c *conn) (int, error) {
	acked := c.acked()
	now := time.Now()
	alive := c.alive()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for i := 0; i < s.sent; i++ {
		e := &s.q[i]
		if e.end > acked {
			if now.Sub(e.wrote) > s.opts.WriteTimeout {
				return n, errNoAck
			}
			break
		}
		if e.ackedAt.IsZero() {
			e.ackedAt = now
		}
		if alive && n == i && now.Sub(e.ackedAt) >= settle {
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	clear(s.q[:n]) // let the frames go
	s.q = s.q[n:]
	s.sent -= n
	s.written += uint64(n)
	close(s.progress)
	s.progress = make(chan struct{})
	return n, nil
}
