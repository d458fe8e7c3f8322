package entra_test

import (
	"context"
	"testing"
)

// BenchmarkLookup: one Lookup against the fake over loopback HTTP: the
// user read, roles (active, eligible), role groups, deny groups, sign-in.
func BenchmarkLookup(b *testing.B) {
	s := tenant(b)
	d, _ := dir(b, s)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Lookup(ctx, "bob@contoso.com"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(s.Requests))/float64(b.N), "requests/op")
}
