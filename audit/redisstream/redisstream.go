// Package redisstream keeps the audit trail in one Redis Stream that every
// replica of the bot appends to, as one tamper-evident chain.
//
// The chain head (last sequence number and record hash) lives in a key next
// to the stream. A writer seals the record in Go against the head it
// believes (audit.Keyring.Seal, chain = stream name), then runs one Lua
// script that, atomically inside Redis, checks the head is still that one,
// XADDs the sealed line (field "r", auto id) and moves the head. When another
// replica got there first the script answers with the current head instead;
// the writer re-seals against it and tries again (at most MaxAttempts, with a
// little jitter). The head is cached between writes, so a writer that is not
// racing anyone pays one round trip per record.
//
// The HMAC is computed in Go: Redis Lua has no HMAC, and the key must never
// reach Redis. Redis only ever sees sealed lines and hashes.
//
// The stream is never trimmed (no MAXLEN): an audit trail must not silently
// drop records. Durability is Redis's own: see docs/audit-redis-stream.md
// for the persistence settings an operator needs.
package redisstream

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/audit"
)

// DefaultStream is the stream's key when Options.Stream is empty. Its hash
// tag {audit} keeps the stream and its head in one Redis Cluster slot.
const DefaultStream = "unlockbot:{audit}:stream"

// DefaultTimeout bounds one Write, retries included.
const DefaultTimeout = 2 * time.Second

// MaxAttempts bounds how often one Write re-seals after losing a race.
const MaxAttempts = 50

// field is the stream entry field that holds the sealed line.
const field = "r"

// Options configures New.
type Options struct {
	// Client is any go-redis client (single node, Sentinel or Cluster). The
	// sink does not close it: whoever made it owns it.
	Client redis.UniversalClient
	// Stream is the stream's key; empty means DefaultStream. It must hold a
	// hash tag such as {audit} so its head key shares its Cluster slot.
	Stream string
	// Keys seals every record; only Keys.Current is used to write.
	Keys *audit.Keyring
	// Timeout bounds one Write or Check; 0 means DefaultTimeout.
	Timeout time.Duration
}

// Sink appends sealed records to the stream. It is safe for concurrent use;
// the writes of one Sink are sent one at a time, in order, so only other
// processes can make it retry.
type Sink struct {
	c       redis.UniversalClient
	stream  string
	keys    []string // stream, head: the script's KEYS
	ring    *audit.Keyring
	timeout time.Duration

	turn  chan struct{} // held while a write is in flight; guards at, token
	at    audit.Link    // the head this sink believes
	token string        // that head as the script compares it

	written, failures, conflicts atomic.Uint64
}

var (
	_ audit.Appender = (*Sink)(nil)
	_ audit.Watched  = (*Sink)(nil)
)

// New checks the options; it does not contact Redis (use Check at startup).
func New(opts Options) (*Sink, error) {
	const op = "redisstream.New"
	if opts.Client == nil {
		return nil, fmt.Errorf("%s: no Redis client given", op)
	}
	if opts.Keys == nil {
		return nil, fmt.Errorf("%s: no HMAC keyring given", op)
	}
	stream := opts.Stream
	if stream == "" {
		stream = DefaultStream
	}
	if hashTag(stream) == "" {
		return nil, fmt.Errorf("%s: the audit stream name %q needs a hash tag such as {audit} so it works on Redis Cluster", op, stream)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Sink{
		c: opts.Client, stream: stream, keys: []string{stream, HeadKey(stream)},
		ring: opts.Keys, timeout: timeout, turn: make(chan struct{}, 1),
	}, nil
}

// HeadKey is the key holding the chain head of stream: the stream's name
// with ":head" appended, so it carries the same hash tag.
func HeadKey(stream string) string { return stream + ":head" }

// hashTag is what Redis Cluster hashes: the text between the first '{' and
// the next '}', when not empty.
func hashTag(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return ""
	}
	return key[i+1 : i+1+j]
}

// Stream is the stream's key, which is also the chain's name in every record.
func (s *Sink) Stream() string { return s.stream }

// Write implements audit.Sink. It returns nil once Redis has acknowledged
// the entry; it never buffers, so when Redis is down the step that needed
// the record fails (the bot refuses the reset).
func (s *Sink) Write(ctx context.Context, e audit.Event) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		s.failures.Add(1)
		return s.fail(ctx.Err())
	}
	defer func() { <-s.turn }()
	for attempt := 1; ; attempt++ {
		line, next, err := s.ring.Seal(s.stream, s.at, e)
		if err != nil {
			return err
		}
		want := formatHead(next)
		token := s.token
		res, err := bounded(ctx, func(ctx context.Context) ([]any, error) {
			return appendScript.Run(ctx, s.c, s.keys, token, want, line).Slice()
		})
		if err != nil {
			s.failures.Add(1)
			return s.fail(err)
		}
		ok, cur, last := reply(res)
		// cur == want: an earlier try of this very record landed but its
		// answer was lost (go-redis resends on a broken connection).
		if ok || cur == want {
			s.at, s.token = next, want
			s.written.Add(1)
			return nil
		}
		s.conflicts.Add(1)
		if err := s.moveTo(cur, last); err != nil {
			s.failures.Add(1)
			return err
		}
		if attempt == MaxAttempts {
			s.failures.Add(1)
			return errors.New("the audit stream in Redis could not be written: other replicas kept moving its head; try again")
		}
		// Lockstep retries between two replicas would collide again.
		t := time.NewTimer(rand.N(time.Duration(min(attempt, 20)) * 100 * time.Microsecond))
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
func bounded[T any](ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
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

func (s *Sink) fail(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("the audit stream in Redis could not be written: no answer within %v; check that Redis is up", s.timeout)
	}
	return fmt.Errorf("the audit stream in Redis could not be written: %w", err)
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

// reply decodes the script's answer: {1, id} or {0, head[, last line]}.
func reply(res []any) (ok bool, head, last string) {
	if len(res) > 0 {
		n, _ := res[0].(int64)
		ok = n == 1
	}
	if len(res) > 1 {
		head, _ = res[1].(string)
	}
	if len(res) > 2 {
		last, _ = res[2].(string)
	}
	return ok, head, last
}
