package local

import (
	"context"
	"errors"
	"testing"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/psa"
)

// Local tickets on the bot's store, through store.Values: its errors are
// told apart by behaviour, so lost races are retried and missing tickets
// are psa.ErrNotFound.
func TestLocalTicketsOnTheBotStore(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	ts := store.Values{Store: st}
	if err := ts.Create(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if err := ts.Create(ctx, "k", []byte("v"), 0); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second create: %v", err)
	}
	if err := ts.CompareAndSwap(ctx, "k", 7, []byte("w"), 0); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale swap: %v", err)
	}
	if _, _, err := ts.Get(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing key: %v", err)
	}

	tk := New(ts, "acme", nil)
	if err := tk.Health(ctx); err != nil {
		t.Fatalf("health: %v", err)
	}
	if _, err := tk.Get(ctx, "1001"); !errors.Is(err, psa.ErrNotFound) {
		t.Fatalf("missing ticket: %v", err)
	}
	createsGetDistinctIDs(t, tk, 10)
}
