package bot

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/unlockbot/unlockbot/audit/jsonl"
	"github.com/unlockbot/unlockbot/bot/store"
)

// forgingStore hands back a request's record with one byte changed and its
// version kept, as a writer of Redis could, while forge is set.
type forgingStore struct {
	store.Store
	forge atomic.Bool
}

func (f *forgingStore) Get(ctx context.Context, key string) (store.Record, error) {
	rec, err := f.Store.Get(ctx, key)
	if err == nil && f.forge.Load() && strings.HasPrefix(key, "req:") {
		rec.Value = slices.Clone(rec.Value)
		rec.Value[len(rec.Value)/2] ^= 1
	}
	return rec, err
}

// TestViewMemoNeverHidesTheStore: views of an unchanged record reuse what
// was opened before, each viewer still gets their own buttons, a record
// changed under the same version is caught as tampered, and a decision
// shows at once.
func TestViewMemoNeverHidesTheStore(t *testing.T) {
	h := newHarness(t, nil)
	fs := &forgingStore{Store: h.st}
	svc := h.serviceOn(fs, pickySink{h, jsonl.New(h.audit, nil)})
	ctx := context.Background()
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	view := func(who Actor) (Card, error) { return svc.ViewApproval(ctx, r.ID, who) }
	for i, c := range []struct {
		who  Actor
		want []ActionID
	}{{approver, []ActionID{ActionApprove, ActionDeny}}, {tech, nil}, {approver, []ActionID{ActionApprove, ActionDeny}}, {tech, nil}} {
		got, err := view(c.who)
		if err != nil || !slices.Equal(actionsOf(got), c.want) || !strings.Contains(got.Title, "alice") {
			t.Fatalf("view %d by %s: %v %+v, want buttons %v", i, c.who.ID, err, got, c.want)
		}
	}
	if n := len(svc.views.m); n != 1 {
		t.Fatalf("%d requests remembered, want 1", n)
	}
	fs.forge.Store(true)
	if _, err := view(approver); err == nil || KindOf(err) != KindForbidden {
		t.Fatalf("a record changed under its version was shown from memory: %v", err)
	}
	if !strings.Contains(h.audit.String(), `"type":"request.tampered"`) {
		t.Fatal("the changed record was not reported as tampered")
	}
	fs.forge.Store(false)
	if _, err := svc.Deny(ctx, r.ID, approver, "not verified"); err != nil {
		t.Fatal(err)
	}
	got, err := view(approver)
	if err != nil || len(got.Actions) != 0 || !strings.Contains(got.Text, "Denied") {
		t.Fatalf("the view after the denial: %v %+v", err, got)
	}
}
