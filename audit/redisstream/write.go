package redisstream

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/audit"
)

// Script answers.
const (
	appended = 1 // {1, entry id}
	moved    = 0 // {0, current head[, last line]}: sealed against an old head
	waitTurn = 2 // {2, current head}: another writer that kept losing goes first
)

// claimAfter is how many races in a row a write loses before it asks for
// the next turn: without turns a replica that writes back to back always
// knows the head first and can starve the others.
const claimAfter = 3

// Write implements audit.Sink. It returns nil once Redis has acknowledged
// the entry; it never buffers, so when Redis is down the step that needed
// the record fails (the bot refuses the reset).
func (s *Sink) Write(ctx context.Context, e audit.Event) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	select {
	case s.busy <- struct{}{}:
	case <-ctx.Done():
		s.failures.Add(1)
		return s.fail(ctx.Err())
	}
	defer func() { <-s.busy }()
	for lost := 0; ; {
		line, next, err := s.ring.Seal(s.stream, s.at, e)
		if err != nil {
			return err
		}
		want, token, claim := formatHead(next), s.token, "0"
		if lost >= claimAfter {
			claim = "1"
		}
		res, err := bounded(ctx, s.direct, func(ctx context.Context) ([]any, error) {
			return appendScript.Run(ctx, s.c, s.keys, token, want, line, s.id, claim).Slice()
		})
		if err != nil {
			s.failures.Add(1)
			return s.fail(err)
		}
		status, cur, last := reply(res)
		// cur == want: an earlier try of this very record landed but its
		// answer was lost (go-redis resends on a broken connection).
		if status == appended || cur == want {
			s.at, s.token = next, want
			s.written.Add(1)
			return nil
		}
		if err := s.moveTo(cur, last); err != nil {
			s.failures.Add(1)
			return err
		}
		if status == moved {
			// The answer holds the new head: try again at once.
			s.conflicts.Add(1)
			if lost++; lost == MaxAttempts {
				s.failures.Add(1)
				return errors.New("the audit stream in Redis could not be written: other replicas kept moving its head; try again")
			}
			continue
		}
		// Someone holds the turn and is one round trip from using it; a
		// jittered pause keeps the waiting replicas from polling in step.
		t := time.NewTimer(50*time.Microsecond + rand.N(200*time.Microsecond))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			s.failures.Add(1)
			return s.fail(ctx.Err())
		}
	}
}

// Append implements audit.Appender. It is Write: an XADD is acknowledged
// when Redis has it, which is already as far as "handed over" goes.
func (s *Sink) Append(ctx context.Context, e audit.Event) error { return s.Write(ctx, e) }

// moveTo adopts the head the script reported. A head starting with '@'
// means the head key is missing while the stream has entries (it was
// deleted or evicted): the chain goes on after the last entry, but only if
// that entry carries a valid MAC, since it is all there is to go on.
func (s *Sink) moveTo(cur, last string) error {
	if id, ok := strings.CutPrefix(cur, "@"); ok {
		r, err := s.ring.Open([]byte(last))
		if err != nil {
			return fmt.Errorf("the audit stream in Redis has lost its head and its last entry %s does not verify (%v); run `unlockbot audit verify --redis-stream %s`", id, err, s.stream)
		}
		s.at, s.token = audit.Link{Seq: r.Seq, Hash: audit.Hash([]byte(last))}, cur
		return nil
	}
	at, err := parseHead(cur)
	if err != nil {
		return fmt.Errorf("the audit stream's head in Redis (%s) is damaged: %v; run `unlockbot audit verify --redis-stream %s`", s.keys[1], err, s.stream)
	}
	s.at, s.token = at, cur
	return nil
}

// bounded runs fn and gives up at ctx's deadline even when the client does
// not watch it: go-redis ignores context deadlines on the socket unless
// ContextTimeoutEnabled is set, and a hung Redis must not hold a reset for
// the client's own dial and read timeouts. An abandoned call ends by those
// timeouts; if its script still runs, the head check keeps the chain whole.
// direct (the client watches ctx) saves the goroutine hop, about half a
// local round trip.
func bounded[T any](ctx context.Context, direct bool, fn func(context.Context) (T, error)) (T, error) {
	if direct {
		return fn(ctx)
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn(ctx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// watchesContext says whether c applies context deadlines to its sockets.
func watchesContext(c redis.UniversalClient) bool {
	switch c := c.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return false
}

func (s *Sink) fail(err error) error {
	if timedOut(err) {
		return fmt.Errorf("the audit stream in Redis could not be written: Redis did not answer within %v; check that it is up", s.timeout)
	}
	return fmt.Errorf("the audit stream in Redis could not be written: %w", err)
}

// timedOut covers both ways a deadline shows: our context's, or the
// socket's when the client applies the context deadline itself.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// formatHead is the head as stored: "seq:hash"; the zero Link is "".
func formatHead(l audit.Link) string {
	if l == (audit.Link{}) {
		return ""
	}
	return strconv.FormatUint(l.Seq, 10) + ":" + l.Hash
}

func parseHead(v string) (audit.Link, error) {
	if v == "" {
		return audit.Link{}, nil
	}
	seq, hash, ok := strings.Cut(v, ":")
	n, err := strconv.ParseUint(seq, 10, 64)
	if !ok || err != nil || n == 0 || len(hash) != 64 {
		return audit.Link{}, errors.New(`not "seq:sha256-hex"`)
	}
	return audit.Link{Seq: n, Hash: hash}, nil
}

// reply decodes the script's answer (see the constants above).
func reply(res []any) (status int64, head, last string) {
	status = -1
	if len(res) > 0 {
		status, _ = res[0].(int64)
	}
	if len(res) > 1 {
		head, _ = res[1].(string)
	}
	if len(res) > 2 {
		last, _ = res[2].(string)
	}
	return status, head, last
}
