package redisstream

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestSingleWriterChainVerifies(t *testing.T) { testSingleWriter(t, testClient(t)) }

func testSingleWriter(t *testing.T, c redis.UniversalClient) {
	stream := testStream(t, c)
	s := newSink(t, c, stream)
	ctx := context.Background()
	for i := range 25 {
		write := s.Write
		if i%2 == 1 {
			write = s.Append
		}
		if err := write(ctx, event("request.submitted", fmt.Sprintf("r%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	n, err := Verify(ctx, c, stream, testKeys(t))
	if err != nil || n != 25 {
		t.Fatalf("Verify = %d, %v; want 25 records", n, err)
	}
	// One round trip per record: a lone writer on a new stream never races.
	if got := s.Conflicts(); got != 0 {
		t.Errorf("%d conflicts for a single writer; the cached head should make every try the right one", got)
	}
	if st := s.Stats(); st.Written != 25 || st.Failures != 0 {
		t.Errorf("Stats = %+v, want 25 written, 0 failures", st)
	}
	// The records are the sealed events, chain named after the stream.
	msgs := c.XRange(ctx, stream, "-", "+").Val()
	r, err := testKeys(t).Open([]byte(msgs[3].Values["r"].(string)))
	if err != nil || r.Seq != 4 || r.RequestID != "r3" || r.Chain != stream {
		t.Fatalf("entry 4 = seq %d %q chain %q (%v); want seq 4 r3 on %s", r.Seq, r.RequestID, r.Chain, err, stream)
	}
	if err := s.Check(ctx); err != nil {
		t.Errorf("Check on a healthy stream: %v", err)
	}
}

// A replica that starts later (or whose cache went stale) loses its first
// try once, learns the head from the script's answer and continues.
func TestLateWriterLearnsHeadInOneRetry(t *testing.T) {
	c := testClient(t)
	stream := testStream(t, c)
	ctx := context.Background()
	a, b := newSink(t, c, stream), newSink(t, c, stream)
	for i := range 3 {
		if err := a.Write(ctx, event("a", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if err := b.Write(ctx, event("b", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Write(ctx, event("a", "3")); err != nil {
		t.Fatal(err)
	}
	if a.Conflicts() != 1 || b.Conflicts() != 1 {
		t.Errorf("conflicts a=%d b=%d, want 1 each (one stale head each)", a.Conflicts(), b.Conflicts())
	}
	if n, err := Verify(ctx, c, stream, testKeys(t)); err != nil || n != 7 {
		t.Fatalf("Verify = %d, %v; want 7", n, err)
	}
}

// A lost head key (deleted, evicted) must not start a second chain in the
// same stream: the writer continues after the last entry it can verify.
func TestLostHeadContinuesAfterLastEntry(t *testing.T) { testLostHead(t, testClient(t)) }

func testLostHead(t *testing.T, c redis.UniversalClient) {
	stream := testStream(t, c)
	ctx := context.Background()
	s := newSink(t, c, stream)
	for i := range 3 {
		if err := s.Write(ctx, event("x", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	c.Del(ctx, HeadKey(stream))
	fresh := newSink(t, c, stream)
	if err := fresh.Write(ctx, event("x", "3")); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, event("x", "4")); err != nil { // its cache is stale now
		t.Fatal(err)
	}
	if n, err := Verify(ctx, c, stream, testKeys(t)); err != nil || n != 5 {
		t.Fatalf("Verify = %d, %v; want 5", n, err)
	}

	// A last entry that does not verify is not adopted: writes fail closed.
	c.Del(ctx, HeadKey(stream))
	c.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []string{"r", `{"v":1,"seq":6}`}})
	err := newSink(t, c, stream).Write(ctx, event("x", "5"))
	if err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("Write after a forged last entry = %v; want a refusal naming it", err)
	}
}

func TestRedisDownFailsQuicklyAndClearly(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	s, err := New(Options{Client: c, Keys: testKeys(t), Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.Write(context.Background(), event("reset.password_set", "r1"))
	took := time.Since(start)
	if err == nil || !strings.HasPrefix(err.Error(), "the audit stream in Redis could not be written: ") {
		t.Fatalf("Write with Redis down = %v; want the clear sentence", err)
	}
	if took > time.Second {
		t.Errorf("Write took %v with Redis down; the timeout is 300ms", took)
	}
	if st := s.Stats(); st.Failures != 1 || st.Written != 0 || st.Pending != 0 {
		t.Errorf("Stats = %+v; want 1 failure, nothing written or buffered", st)
	}
	if err := s.Check(context.Background()); err == nil || !strings.HasPrefix(err.Error(), "the audit stream's Redis") {
		t.Errorf("Check with Redis down = %v; want a sentence naming the audit stream's Redis", err)
	}

	// A server that accepts but never answers is cut off by the timeout,
	// whether or not the client watches context deadlines itself.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	for _, watches := range []bool{false, true} {
		c2 := redis.NewClient(&redis.Options{Addr: mute.Addr().String(), MaxRetries: -1, ContextTimeoutEnabled: watches})
		defer c2.Close()
		s2, _ := New(Options{Client: c2, Keys: testKeys(t), Timeout: 300 * time.Millisecond})
		if s2.direct != watches {
			t.Fatalf("direct = %v for ContextTimeoutEnabled %v", s2.direct, watches)
		}
		start = time.Now()
		err = s2.Write(context.Background(), event("reset.password_set", "r1"))
		if took := time.Since(start); err == nil || took > time.Second || !strings.Contains(err.Error(), "Redis did not answer within 300ms") {
			t.Fatalf("Write to a mute server (ContextTimeoutEnabled %v) = %v after %v; want the timeout sentence within ~300ms", watches, err, took)
		}
	}
}

func TestKeyNeverStored(t *testing.T) {
	c := testClient(t)
	stream := testStream(t, c)
	ctx := context.Background()
	s := newSink(t, c, stream)
	for i := range 5 {
		if err := s.Write(ctx, event("reset.password_set", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	var dump strings.Builder
	for _, m := range c.XRange(ctx, stream, "-", "+").Val() {
		for f, v := range m.Values {
			fmt.Fprintf(&dump, "%s %s=%v\n", m.ID, f, v)
		}
	}
	dump.WriteString(c.Get(ctx, HeadKey(stream)).Val())
	if dump.Len() < 5*100 {
		t.Fatalf("dump too short to mean anything: %q", dump.String())
	}
	for _, enc := range []string{string(testKey), hex.EncodeToString(testKey), base64.StdEncoding.EncodeToString(testKey), base64.RawURLEncoding.EncodeToString(testKey)} {
		if strings.Contains(dump.String(), enc) {
			t.Fatalf("the HMAC key is stored in Redis:\n%s", dump.String())
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, o := range []Options{
		{Keys: testKeys(t)},
		{Client: c},
		{Client: c, Keys: testKeys(t), Stream: "audit-stream"},
		{Client: c, Keys: testKeys(t), Stream: "audit:{}:stream"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	s, err := New(Options{Client: c, Keys: testKeys(t)})
	if err != nil || s.Stream() != DefaultStream || HeadKey(s.Stream()) != "unlockbot:{audit}:stream:head" {
		t.Fatalf("defaults: %v, stream %q", err, s.Stream())
	}
	if s.Name() != "redis-stream" {
		t.Errorf("Name = %q", s.Name())
	}
}

// A turn claimed by a writer that lost too often holds the others back
// until it writes or its claim expires, so no replica starves.
func TestClaimedTurnIsHonoured(t *testing.T) {
	c := testClient(t)
	stream := testStream(t, c)
	ctx := context.Background()
	s := newSink(t, c, stream)
	if err := s.Write(ctx, event("x", "0")); err != nil {
		t.Fatal(err)
	}
	c.Set(ctx, turnKey(stream), "another-writer", turnTTL*time.Millisecond)
	start := time.Now()
	if err := s.Write(ctx, event("x", "1")); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < turnTTL*time.Millisecond/2 {
		t.Fatalf("Write went ahead after %v while another writer held the turn for %dms", took, turnTTL)
	}
	if n, err := Verify(ctx, c, stream, testKeys(t)); err != nil || n != 2 {
		t.Fatalf("Verify = %d, %v", n, err)
	}
}

// When a try landed but its answer was lost and the write is tried again,
// the head already is that very record: it is not appended twice.
func TestLandedTryIsNotWrittenTwice(t *testing.T) {
	c := testClient(t)
	stream := testStream(t, c)
	ctx := context.Background()
	s := newSink(t, c, stream)
	if err := s.Write(ctx, event("x", "0")); err != nil {
		t.Fatal(err)
	}
	e := event("reset.password_set", "1")
	line, next, _ := s.ring.Seal(stream, s.at, e)
	if err := appendScript.Run(ctx, c, s.keys, s.token, formatHead(next), line, "lost", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, e); err != nil {
		t.Fatal(err)
	}
	if n := c.XLen(ctx, stream).Val(); n != 2 {
		t.Fatalf("%d entries, want 2: the landed try was written again", n)
	}
	if err := s.Write(ctx, event("x", "2")); err != nil || s.Conflicts() != 0 {
		t.Fatalf("next write: %v, %d conflicts; the head should be known", err, s.Conflicts())
	}
	if n, err := Verify(ctx, c, stream, testKeys(t)); err != nil || n != 3 {
		t.Fatalf("Verify = %d, %v", n, err)
	}
}
