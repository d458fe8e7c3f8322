package local

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
)

// countingReads counts the reads of ticket records.
type countingReads struct {
	Store
	reads atomic.Int32
}

func (c *countingReads) Get(ctx context.Context, key string) ([]byte, int64, error) {
	if strings.Contains(key, ":ticket:") {
		c.reads.Add(1)
	}
	return c.Store.Get(ctx, key)
}

// TestAChangeAfterOwnWriteReadsNothing: a reset's note and resolution
// swap against the version this client just wrote (no read of the ticket
// first), on both stores the bot runs on, so their versions must move by
// one per swap; a change by another client in between makes the swap
// conflict, and the ticket is read and changed with nothing lost.
func TestAChangeAfterOwnWriteReadsNothing(t *testing.T) {
	for name, st := range map[string]store.Store{"memory": memstore.New(), "redis": storetest.NewRedisStore(t)} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := &countingReads{Store: store.Values{Store: st}}
			mine, other := New(c, "acme", nil), New(store.Values{Store: st}, "acme", nil)
			tk, err := mine.Create(ctx, psa.NewTicket{CompanyID: "acme-co", Summary: "locked out", IdempotencyKey: "req-" + name})
			if err != nil {
				t.Fatal(err)
			}
			if err := mine.AddNote(ctx, tk.ID, psa.Note{Text: "reset done", Internal: true, IdempotencyKey: "k1"}); err != nil {
				t.Fatal(err)
			}
			if n := c.reads.Load(); n != 0 {
				t.Fatalf("%d reads of the ticket before the note on the ticket this client just made", n)
			}
			if err := other.AddNote(ctx, tk.ID, psa.Note{Text: "caller rang back", Internal: true}); err != nil {
				t.Fatal(err)
			}
			if err := mine.Resolve(ctx, tk.ID, "Resolved by unlockbot."); err != nil {
				t.Fatal(err)
			}
			if n := c.reads.Load(); n != 1 {
				t.Fatalf("%d reads: the swap after another client's note should conflict and read once", n)
			}
			got, _ := other.Get(ctx, tk.ID)
			notes, _ := other.Notes(ctx, tk.ID)
			if !got.Closed || len(notes) != 3 {
				t.Fatalf("closed %t, %d notes (%+v); want the two notes and the resolution", got.Closed, len(notes), notes)
			}
		})
	}
}

// countingWrites counts the writes of ticket records.
type countingWrites struct {
	Store
	writes atomic.Int32
}

func (c *countingWrites) CompareAndSwap(ctx context.Context, key string, version int64, value []byte, ttl time.Duration) error {
	if strings.Contains(key, ":ticket:") {
		c.writes.Add(1)
	}
	return c.Store.CompareAndSwap(ctx, key, version, value, ttl)
}

// TestNoteAndResolveIsOneWrite: the note and the resolution go in one
// write; asked again (a worker taking over) it writes nothing and adds
// neither twice; a password in a public note is refused before anything.
func TestNoteAndResolveIsOneWrite(t *testing.T) {
	ctx := context.Background()
	c := &countingWrites{Store: newMapStore()}
	tk := New(c, "acme", reversing)
	made, err := tk.Create(ctx, psa.NewTicket{CompanyID: "acme-co", Summary: "locked out", IdempotencyKey: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	n := psa.Note{Text: "reset done", Internal: true, IdempotencyKey: "r1:note", Password: identity.NewSecret("Typed-Passw0rd!")}
	for range 2 {
		if err := tk.NoteAndResolve(ctx, made.ID, n, "Resolved by unlockbot."); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := tk.Get(ctx, made.ID)
	notes, _ := tk.Notes(ctx, made.ID)
	if !got.Closed || len(notes) != 2 || c.writes.Load() != 1 || notes[0].SealedPassword == "" {
		t.Fatalf("closed %t, notes %+v, %d writes; want closed, the note (password sealed) and the resolution, one write", got.Closed, notes, c.writes.Load())
	}
	if has, _ := tk.HasNote(ctx, made.ID, "r1:note"); !has {
		t.Fatal("the note is not found by its key")
	}
	public := psa.Note{Text: "x", Password: identity.NewSecret("Typed-Passw0rd!")}
	if err := tk.NoteAndResolve(ctx, made.ID, public, "x"); !errors.Is(err, psa.ErrSecretInPublicNote) {
		t.Fatalf("a password in a public note: %v", err)
	}
}
