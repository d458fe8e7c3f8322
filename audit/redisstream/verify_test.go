package redisstream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/unlockbot/unlockbot/audit"
)

// trail writes n records to a fresh stream and returns it with its entries;
// Verify reads it 4 entries per page so every case crosses page ends.
func trail(t *testing.T, n int) (*redis.Client, string, []redis.XMessage) {
	t.Helper()
	old := pageSize
	pageSize = 4
	t.Cleanup(func() { pageSize = old })
	c := testClient(t)
	stream := testStream(t, c)
	s := newSink(t, c, stream)
	for i := range n {
		if err := s.Write(context.Background(), event("request.approved", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	return c, stream, xrangeAll(t, c, stream)
}

// broken runs Verify and wants it to stop at entry line, naming id.
func broken(t *testing.T, c *redis.Client, stream string, line int, id, reason string) {
	t.Helper()
	n, err := Verify(context.Background(), c, stream, testKeys(t))
	var b *audit.Broken
	if !errors.As(err, &b) {
		t.Fatalf("Verify = %d, %v; want *audit.Broken", n, err)
	}
	if b.Line != line || b.Source != stream || !strings.Contains(b.Reason, reason) || (id != "" && !strings.HasPrefix(b.Reason, "entry "+id+": ")) {
		t.Fatalf("Verify broke at %s line %d: %q; want line %d, entry %s, %q", b.Source, b.Line, b.Reason, line, id, reason)
	}
	if n != line-1 {
		t.Errorf("Verify counted %d good records before line %d", n, line)
	}
}

func TestVerifyWholeStreamAcrossPages(t *testing.T) {
	c, stream, msgs := trail(t, 13)
	if n, err := Verify(context.Background(), c, stream, testKeys(t)); err != nil || n != len(msgs) {
		t.Fatalf("Verify = %d, %v; want %d", n, err, len(msgs))
	}
	if n, err := Verify(context.Background(), c, testStream(t, c), testKeys(t)); err != nil || n != 0 {
		t.Fatalf("Verify of an empty stream = %d, %v", n, err)
	}
}

func TestVerifyNamesDeletedEntry(t *testing.T) {
	c, stream, msgs := trail(t, 13)
	c.XDel(context.Background(), stream, msgs[8].ID) // entry 9, on the third page
	broken(t, c, stream, 9, msgs[9].ID, "1 record(s) before it were removed")
}

func TestVerifyNamesForgedEntry(t *testing.T) {
	c, stream, msgs := trail(t, 8)
	ctx := context.Background()
	// Sealed in the right place of the chain, but with a key of the same id
	// that is not ours.
	other, _ := audit.NewKeyring("k1", map[string][]byte{"k1": []byte(strings.Repeat("x", 32))})
	last := msgs[len(msgs)-1].Values["r"].(string)
	line, _, _ := other.Seal(stream, audit.Link{Seq: 8, Hash: audit.Hash([]byte(last))}, event("reset.password_set", "forged"))
	id := c.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []string{"r", string(line)}}).Val()
	broken(t, c, stream, 9, id, "the MAC does not match")
}

func TestVerifyNamesReplayedEntry(t *testing.T) {
	c, stream, msgs := trail(t, 6)
	id := c.XAdd(context.Background(), &redis.XAddArgs{Stream: stream, Values: []string{"r", msgs[2].Values["r"].(string)}}).Val()
	broken(t, c, stream, 7, id, "seq 3 follows seq 6")
}

func TestVerifyNamesForeignEntry(t *testing.T) {
	c, stream, _ := trail(t, 5)
	id := c.XAdd(context.Background(), &redis.XAddArgs{Stream: stream, Values: []string{"r", "x", "note", "hi"}}).Val()
	broken(t, c, stream, 6, id, "not an audit record")
}

// Deleting the newest entries leaves a valid chain; the head key, moved
// only after each entry is added, gives the cut away.
func TestVerifyNoticesCutEnd(t *testing.T) {
	c, stream, msgs := trail(t, 9)
	c.XDel(context.Background(), stream, msgs[7].ID, msgs[8].ID)
	broken(t, c, stream, 8, "", "the trail ends at seq 7 but its head says seq 9 was written")

	// A head naming another record at its seq (the end was cut and written
	// again, or the head was edited) is caught at that seq.
	c.Set(context.Background(), HeadKey(stream), formatHead(audit.Link{Seq: 5, Hash: strings.Repeat("0", 64)}), 0)
	broken(t, c, stream, 5, msgs[4].ID, "the head key says seq 5 is a different record")
}
