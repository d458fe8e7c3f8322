package bot

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestRecordRefusalIsRateLimited: a flood of forged requests writes one
// audit record per reason and minute, and a new minute writes again.
func TestRecordRefusalIsRateLimited(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	wrote := 0
	for range 50 {
		if h.svc.RecordRefusal(ctx, "slack", "team_mismatch", map[string]string{"team": "T999"}) {
			wrote++
		}
	}
	if !h.svc.RecordRefusal(ctx, "slack", "bad_signature", nil) {
		t.Fatal("another reason in the same minute was not recorded")
	}
	h.clock.add(time.Minute)
	if !h.svc.RecordRefusal(ctx, "slack", "team_mismatch", nil) {
		t.Fatal("the next minute's first refusal was not recorded")
	}
	if wrote != 1 {
		t.Fatalf("50 refusals in one minute wrote %d records, want 1", wrote)
	}
	trail := h.audit.String()
	if n := strings.Count(trail, `"type":"platform.refused"`); n != 3 {
		t.Fatalf("%d platform.refused records, want 3:\n%s", n, trail)
	}
	if !strings.Contains(trail, `"team":"T999"`) || !strings.Contains(trail, `"why":"team_mismatch"`) {
		t.Fatalf("the record lacks its detail:\n%s", trail)
	}
}
