package bot

import (
	"context"
	"fmt"
	"testing"
)

// The view memo keeps one entry per request up to maxViews, and the view
// past that starts it over with itself alone: a storm of refreshes cannot
// grow it, and a quiet day does not empty it on every view (mutation
// testing found the bound unguarded on both sides).
func TestViewMemoBound(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	alice, bob := h.mustSubmit("alice", ""), h.mustSubmit("bob", "")
	for _, r := range []*Request{alice, bob} {
		if _, err := h.svc.ViewApproval(ctx, r.ID, approver); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.svc.views.m); n != 2 {
		t.Fatalf("%d requests remembered after viewing two, want 2", n)
	}
	delete(h.svc.views.m, alice.ID)
	for i := 0; len(h.svc.views.m) < maxViews; i++ {
		h.svc.views.m[fmt.Sprint("other-", i)] = viewEntry{}
	}
	c, err := h.svc.ViewApproval(ctx, alice.ID, approver)
	if err != nil || len(c.Actions) == 0 {
		t.Fatalf("the view past the bound: %v %+v", err, c)
	}
	if _, ok := h.svc.views.m[alice.ID]; !ok || len(h.svc.views.m) != 1 {
		t.Fatalf("past the bound the memo holds %d entries (alice kept: %v), want alice alone", len(h.svc.views.m), ok)
	}
}

// An unchanged record is opened once: the second view shares the request
// the first opened, and a save (a new version) opens it again (mutation
// testing found the version test unguarded; the bytes test alone would
// still be correct, but would open and draw on every refresh).
func TestViewMemoReusesAnUnchangedRecord(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	first, _, _, err := h.svc.viewed(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	again, _, _, err := h.svc.viewed(ctx, r.ID)
	if err != nil || again != first {
		t.Fatalf("a view of the unchanged record opened it again (%v)", err)
	}
	saved := h.request(r.ID)
	if err := h.svc.repo.save(ctx, saved); err != nil {
		t.Fatal(err)
	}
	if after, _, _, err := h.svc.viewed(ctx, r.ID); err != nil || after == first {
		t.Fatalf("a view after a save showed the request opened before (%v)", err)
	}
}
