package ldap_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/identity/typeahead"
)

// TestTypeAhead10kSnapshot is the picker as serve runs it over 10,000
// Samba users (UNLOCKBOT_BENCH_10K=1): one paged read of the whole domain
// into memory, then every keystroke answered from it, locked first.
func TestTypeAhead10kSnapshot(t *testing.T) {
	d, locked := typeAheadSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	snap := typeahead.Wrap(d, time.Minute, zerolog.Nop()).(*typeahead.Directory)
	start := time.Now()
	if err := snap.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	refresh := time.Since(start)
	got, err := snap.Search(ctx, "bulk-0", 10)
	if err != nil || len(got) != 10 || got[0].ID != locked[0] || got[1].ID != locked[1] {
		t.Fatalf("locked accounts must come first among 10,000: %v, %v", labels(got), err)
	}
	var lat []time.Duration
	for i := range 100 * len(typeAheadQueries) {
		s := time.Now()
		if _, err := snap.Search(ctx, typeAheadQueries[i%len(typeAheadQueries)], 10); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(s))
	}
	p50, p99 := percentiles(lat)
	t.Logf("snapshot of the domain (10,000+ users) read in %v; %d searches (limit 10): p50 %v, p99 %v",
		refresh.Round(time.Millisecond), len(lat), p50, p99)
}
