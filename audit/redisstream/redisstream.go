// Package redisstream keeps the audit trail in one Redis Stream that every
// replica of the bot appends to, as one tamper-evident chain.
//
// The chain head (last sequence number and record hash) lives in a key next
// to the stream. A writer seals the record in Go against the head it
// believes (audit.Keyring.Seal, chain = stream name), then runs one Lua
// script that, atomically inside Redis, checks the head is still that one,
// XADDs the sealed line (field "r", auto id) and moves the head. When another
// replica got there first the script answers with the current head instead;
// the writer re-seals against it and tries again at once (at most
// MaxAttempts lost races). The head is cached between writes, so a writer
// that is not racing anyone pays one round trip per record. A writer that
// loses three races in a row claims the next turn (a key of 100 ms the
// script honours; the others wait with jitter), so a replica writing back
// to back cannot starve the others.
//
// The HMAC is computed in Go: Redis Lua has no HMAC, and the key must never
// reach Redis. Redis only ever sees sealed lines and hashes.
//
// The stream is never trimmed (no MAXLEN): an audit trail must not silently
// drop records. Durability is Redis's own: see docs/audit-redis-stream.md
// for the persistence settings an operator needs.
package redisstream

import (
	"crypto/rand"
	"fmt"
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
	// Timeout bounds one Write or Check; 0 means DefaultTimeout. It holds
	// whatever the client's own timeouts; a client made with
	// ContextTimeoutEnabled saves a goroutine per call.
	Timeout time.Duration
}

// Sink appends sealed records to the stream. It is safe for concurrent use;
// the writes of one Sink are sent one at a time, in order, so only other
// processes can make it retry.
type Sink struct {
	c       redis.UniversalClient
	stream  string
	keys    []string // stream, head, turn: the script's KEYS
	ring    *audit.Keyring
	timeout time.Duration
	direct  bool // the client honours context deadlines itself

	id    string        // this writer, when it claims a turn in Redis
	busy  chan struct{} // held while a write is in flight; guards at, token
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
		c: opts.Client, stream: stream, keys: []string{stream, HeadKey(stream), turnKey(stream)},
		ring: opts.Keys, timeout: timeout, direct: watchesContext(opts.Client), id: rand.Text(), busy: make(chan struct{}, 1),
	}, nil
}

// HeadKey is the key holding the chain head of stream: the stream's name
// with ":head" appended, so it carries the same hash tag.
func HeadKey(stream string) string { return stream + ":head" }

// turnKey names the writer that lost too many races in a row and goes
// next; it lives for turnTTL at most, so a writer that died frees it.
func turnKey(stream string) string { return stream + ":turn" }

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
