package metrics_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/memstore"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
	"github.com/unlockbot/unlockbot/identity/typeahead"
	"github.com/unlockbot/unlockbot/psa"
	"github.com/unlockbot/unlockbot/psa/local"
)

type (
	lister interface {
		All(context.Context) ([]identity.Account, error)
	}
	refresher interface{ Run(ctx context.Context) }
	unwrapper interface{ Unwrap() identity.Directory }
)

// bare is a directory with none of the optional methods.
type bare struct{ identity.Directory }

// TestWrapKeepsOptionalInterfaces: the wiring type-asserts a directory's
// optional methods (typeahead.Wrap wants All; serve runs Run; check
// unwraps to the LDAP directory); the wrapper must hide none of them, and
// add none the directory lacks.
func TestWrapKeepsOptionalInterfaces(t *testing.T) {
	m, _ := newM(t)
	mem := memory.Demo()

	inner := m.WrapDirectory("acme", mem)
	if _, ok := inner.(lister); !ok {
		t.Error("wrapping a directory that lists its accounts hid All")
	}
	if u, ok := inner.(unwrapper); !ok || u.Unwrap() != identity.Directory(mem) {
		t.Error("Unwrap does not return the directory underneath")
	}
	snap := typeahead.Wrap(inner, 0, zerolog.Nop())
	if _, ok := snap.(*typeahead.Directory); !ok {
		t.Errorf("typeahead.Wrap(WrapDirectory(memory)) is %T: type-ahead lost its snapshot", snap)
	}

	outer := m.WrapDirectory("acme", typeahead.Wrap(mem, 0, zerolog.Nop()))
	if _, ok := outer.(refresher); !ok {
		t.Error("wrapping a type-ahead directory hid Run: serve would never refresh its snapshot")
	}
	if _, ok := outer.(lister); ok {
		t.Error("the wrapper claims All for a directory without it")
	}

	plain := m.WrapDirectory("acme", bare{mem})
	_, l := plain.(lister)
	_, r := plain.(refresher)
	if l || r {
		t.Errorf("a bare directory gained methods: All=%t Run=%t", l, r)
	}
}

func TestDirectoryErrors(t *testing.T) {
	m, reg := newM(t)
	mem := memory.Demo()
	d := m.WrapDirectory("acme", mem)
	ctx := context.Background()
	if _, err := d.Lookup(ctx, "nobody"); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("lookup nobody: %v", err)
	}
	mem.FailNext("Lookup", identity.E("memory.Lookup", identity.KindUnavailable, "The directory is down.", identity.ErrUnavailable))
	if _, err := d.Lookup(ctx, "alice"); err == nil {
		t.Fatal("FailNext did not fail the lookup")
	}
	mem.FailNext("Lookup", context.Canceled)
	_, _ = d.Lookup(ctx, "alice")
	if _, err := d.Lookup(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.(lister).All(ctx); err != nil {
		t.Fatal(err)
	}
	fams := gather(t, reg)
	if got := sum(fams, "unlockbot_directory_call_seconds", L{"org": "acme", "op": "lookup"}); got != 4 {
		t.Errorf("%v lookups timed, want 4", got)
	}
	if got := sum(fams, "unlockbot_directory_errors_total", L{"org": "acme", "op": "lookup"}); got != 1 {
		t.Errorf("%v lookup errors, want 1 (not found and a caller giving up are not errors)", got)
	}
	if got := sum(fams, "unlockbot_directory_call_seconds", L{"org": "acme", "op": "all"}); got != 1 {
		t.Errorf("%v snapshot reads timed, want 1", got)
	}
}

// downPSA is local tickets whose Health fails.
type downPSA struct{ psa.Tickets }

func (downPSA) Health(context.Context) error { return errors.New("connection refused") }

func TestPSAErrors(t *testing.T) {
	m, reg := newM(t)
	lt := local.New(store.Values{Store: memstore.New()}, "acme", nil)
	tk := m.WrapTickets("acme", downPSA{lt})
	ctx := context.Background()
	if _, err := tk.Get(ctx, "999"); !errors.Is(err, psa.ErrNotFound) {
		t.Fatalf("get 999: %v", err)
	}
	if err := tk.Health(ctx); err == nil {
		t.Fatal("health did not fail")
	}
	if u, ok := tk.(interface{ Unwrap() psa.Tickets }); !ok || u.Unwrap() != psa.Tickets(downPSA{lt}) {
		t.Error("Unwrap does not return the PSA underneath")
	}
	fams := gather(t, reg)
	for _, c := range []struct {
		op          string
		calls, errs float64
	}{{"get", 1, 0}, {"health", 1, 1}, {"create", 0, 0}} {
		if got := sum(fams, "unlockbot_psa_call_seconds", L{"org": "acme", "op": c.op}); got != c.calls {
			t.Errorf("psa %s: %v calls timed, want %v", c.op, got, c.calls)
		}
		if got := sum(fams, "unlockbot_psa_errors_total", L{"org": "acme", "op": c.op}); got != c.errs {
			t.Errorf("psa %s: %v errors, want %v", c.op, got, c.errs)
		}
	}
}

// changesFrom is a Changer that answers delta, or err.
type changesFrom struct {
	delta identity.Delta
	err   error
}

func (c changesFrom) Changes(context.Context, string) (identity.Delta, error) { return c.delta, c.err }

// TestChangesTimed: the picker's incremental refresh is directory work
// too; it shows as op="changes" and its failures as errors.
func TestChangesTimed(t *testing.T) {
	m, reg := newM(t)
	want := identity.Delta{Cursor: "42"}
	got, err := m.TimeChanges("acme", changesFrom{delta: want}).Changes(context.Background(), "41")
	if err != nil || got.Cursor != "42" {
		t.Fatalf("Changes through the timer: %+v, %v", got, err)
	}
	down := identity.E("ldap.Changes", identity.KindUnavailable, "The directory is down.", identity.ErrUnavailable)
	if _, err := m.TimeChanges("acme", changesFrom{err: down}).Changes(context.Background(), "42"); !errors.Is(err, identity.ErrUnavailable) {
		t.Fatalf("the failure did not come through: %v", err)
	}
	fams := gather(t, reg)
	if n := sum(fams, "unlockbot_directory_call_seconds", L{"org": "acme", "op": "changes"}); n != 2 {
		t.Errorf("%v change reads timed, want 2", n)
	}
	if n := sum(fams, "unlockbot_directory_errors_total", L{"org": "acme", "op": "changes"}); n != 1 {
		t.Errorf("%v change read errors, want 1", n)
	}
}

// TestAFinisherStaysOneWhenTimed: the local tickets note and resolve a
// ticket in one write (psa.Finisher); wrapped for the metrics they still
// can, timed as note_and_resolve, and a PSA that cannot is not made to
// look as if it could.
func TestAFinisherStaysOneWhenTimed(t *testing.T) {
	m, reg := newM(t)
	lt := local.New(store.Values{Store: memstore.New()}, "acme", nil)
	tk := m.WrapTickets("acme", lt)
	f, ok := tk.(psa.Finisher)
	if !ok {
		t.Fatal("the timed local tickets are no psa.Finisher")
	}
	if _, ok := m.WrapTickets("acme", downPSA{lt}).(psa.Finisher); ok {
		t.Fatal("a PSA that cannot note and resolve at once is made to look as if it could")
	}
	ctx := context.Background()
	made, err := tk.Create(ctx, psa.NewTicket{CompanyID: "acme", Summary: "locked out"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.NoteAndResolve(ctx, made.ID, psa.Note{Text: "done", Internal: true, IdempotencyKey: "k"}, "Resolved."); err != nil {
		t.Fatal(err)
	}
	if got, _ := tk.Get(ctx, made.ID); !got.Closed {
		t.Fatal("not resolved")
	}
	if got := sum(gather(t, reg), "unlockbot_psa_call_seconds", L{"org": "acme", "op": "note_and_resolve"}); got != 1 {
		t.Fatalf("%v note_and_resolve calls timed, want 1", got)
	}
}
