package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/store"
)

// BenchTransitionRound measures one state transition as the flow does it:
// Get a ~600-byte JSON request record, then CompareAndSwap the next state.
func BenchTransitionRound(b *testing.B, s store.Store) {
	ctx := b.Context()
	vals := [2][]byte{benchValue("pending_approval"), benchValue("approved")}
	if _, err := s.Create(ctx, "bench:req", vals[0], time.Hour); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(vals[0])))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rec, err := s.Get(ctx, "bench:req")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.CompareAndSwap(ctx, "bench:req", rec.Version, vals[i%2], time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}

// benchValue is a request record padded to 600 bytes of JSON.
func benchValue(state string) []byte {
	r := map[string]any{
		"id": "req_01JBQ4Z8M6V2X9K3T5N7P0R1S", "org": "acme-msp", "state": state,
		"requester": map[string]string{"platform": "slack", "team": "T024BE7LD", "user": "U0G9QF9C6"},
		"target":    map[string]string{"sam": "jdoe", "dn": "CN=John Doe,OU=Staff,OU=Users,DC=corp,DC=acme,DC=example"},
		"approval":  map[string]string{"channel": "C061EG9SL", "ts": "1730287520.000100"},
		"ticket":    map[string]any{"psa": "connectwise", "id": 48213},
		"steps":     []string{"requested", "verified"},
		"created":   "2025-11-30T10:18:00Z", "note": "",
	}
	b, _ := json.Marshal(r)
	r["note"] = strings.Repeat("x", max(0, 600-len(b)))
	b, _ = json.Marshal(r)
	return b
}
