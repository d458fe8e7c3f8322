package redisstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/audit"
)

// pageSize is how many entries Verify reads per XRANGE (a variable so
// tests can cross page boundaries with few records).
var pageSize int64 = 500

// Verify reads the whole stream, oldest first, and checks it is one valid
// chain. It returns how many records verified, and a *audit.Broken naming
// the first bad entry (Line is its 1-based index in the stream, Reason
// starts with its entry id) when the trail was tampered with.
//
// It also compares the trail's end with the head key, read before the
// stream: writers move the head only after adding the entry, so a trail
// that ends before the head lost records at its end. It is safe to run
// while replicas keep writing; entries added meanwhile are checked too.
func Verify(ctx context.Context, client redis.UniversalClient, stream string, keys *audit.Keyring) (records int, err error) {
	const op = "redisstream.Verify"
	if stream == "" {
		stream = DefaultStream
	}
	raw, err := client.Get(ctx, HeadKey(stream)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("%s: reading the head of %s: %w", op, stream, err)
	}
	head, herr := parseHead(raw)
	v := audit.NewVerifier(keys)
	broken := func(n int, id, reason string, seq uint64) error {
		return &audit.Broken{Source: stream, Line: n, Seq: seq, Reason: "entry " + id + ": " + reason}
	}
	n, start := 0, "-"
	headSeen := head.Seq == 0
	for {
		page, err := client.XRangeN(ctx, stream, start, "+", pageSize).Result()
		if err != nil {
			return v.Records, fmt.Errorf("%s: reading %s: %w", op, stream, err)
		}
		for _, m := range page {
			n++
			line, ok := m.Values[field].(string)
			if !ok || len(m.Values) != 1 {
				return v.Records, broken(n, m.ID, `not an audit record (it must hold exactly one field "r"): it was added by something else`, 0)
			}
			r, err := v.Next([]byte(line))
			if b, ok := err.(*audit.Broken); ok {
				return v.Records, broken(n, m.ID, b.Reason, b.Seq)
			}
			if r.Seq == head.Seq {
				if v.At().Hash != head.Hash {
					return v.Records - 1, broken(n, m.ID, fmt.Sprintf("the head key says seq %d is a different record: the trail was rewritten", head.Seq), r.Seq)
				}
				headSeen = true
			}
		}
		if int64(len(page)) < pageSize {
			break
		}
		start = "(" + page[len(page)-1].ID
	}
	if herr != nil {
		return v.Records, &audit.Broken{Source: stream, Line: n + 1, Reason: fmt.Sprintf("the head key %s is damaged (%v)", HeadKey(stream), herr)}
	}
	if !headSeen {
		return v.Records, &audit.Broken{Source: stream, Line: n + 1, Seq: head.Seq, Reason: fmt.Sprintf("the trail ends at seq %d but its head says seq %d was written: records at its end were removed", v.At().Seq, head.Seq)}
	}
	return v.Records, nil
}
