package local

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
)

func reversing(plain []byte, _ string) ([]byte, error) { // a stand-in cipher the test can recognise
	out := make([]byte, len(plain))
	for i, b := range plain {
		out[len(plain)-1-i] = b ^ 0x5a
	}
	return out, nil
}

func TestLocalTickets(t *testing.T) {
	ctx := context.Background()
	st := newMapStore()
	tk := New(st, "acme", reversing)
	a, err := tk.Create(ctx, psa.NewTicket{CompanyID: "acme-co", Summary: "locked out", IdempotencyKey: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := tk.Create(ctx, psa.NewTicket{CompanyID: "acme-co", Summary: "locked out", IdempotencyKey: "r1"})
	if err != nil || again.ID != a.ID {
		t.Fatalf("a retried create made ticket %s, want %s (%v)", again.ID, a.ID, err)
	}
	other, _ := tk.Create(ctx, psa.NewTicket{CompanyID: "globex", Summary: "printer"})
	if other.ID == a.ID {
		t.Fatal("two tickets share an id")
	}
	open, _ := tk.ListOpen(ctx, "acme-co", "LOCK", 10)
	if len(open) != 1 || open[0].ID != a.ID {
		t.Fatalf("ListOpen by company and query: %+v", open)
	}
	if _, err := tk.Create(ctx, psa.NewTicket{CompanyID: "acme-co"}); err == nil {
		t.Fatal("a ticket without a summary was created")
	}

	pw := identity.NewSecret("Secret-Passw0rd!")
	if err := tk.AddNote(ctx, a.ID, psa.Note{Text: "reset", Internal: false, Password: pw}); !errors.Is(err, psa.ErrSecretInPublicNote) {
		t.Fatalf("password in a public note: %v", err)
	}
	for range 2 { // the same idempotency key twice adds one note
		if err := tk.AddNote(ctx, a.ID, psa.Note{Text: "reset", Internal: true, Password: pw, IdempotencyKey: "r1:note"}); err != nil {
			t.Fatal(err)
		}
	}
	notes, _ := tk.Notes(ctx, a.ID)
	if len(notes) != 1 || notes[0].SealedPassword == "" || !notes[0].Internal {
		t.Fatalf("notes: %+v", notes)
	}
	rec, _, _ := st.Get(ctx, "psa:acme:ticket:"+a.ID)
	if strings.Contains(string(rec), pw.Reveal()) {
		t.Fatal("the password is stored in clear")
	}
	if err := tk.Resolve(ctx, a.ID, "done"); err != nil {
		t.Fatal(err)
	}
	if got, _ := tk.Get(ctx, a.ID); !got.Closed {
		t.Fatal("not resolved")
	}
	if open, _ := tk.ListOpen(ctx, "acme-co", "", 10); len(open) != 0 {
		t.Fatal("a resolved ticket is still listed as open")
	}
	if _, err := New(st, "globex", nil).Get(ctx, a.ID); !errors.Is(err, psa.ErrNotFound) {
		t.Fatalf("another org's namespace sees acme's ticket: %v", err)
	}
	noSeal := New(st, "acme", nil)
	if err := noSeal.AddNote(ctx, a.ID, psa.Note{Text: "x", Internal: true, Password: pw}); err == nil {
		t.Fatal("a password was stored without a sealing key")
	}
}

// TestFindCreatedAndHasNote are the questions a worker taking over asks
// before it repeats a create or a note.
func TestFindCreatedAndHasNote(t *testing.T) {
	ctx := context.Background()
	tk := New(newMapStore(), "acme", reversing)
	if _, found, err := tk.FindCreated(ctx, "acme-co", "r9"); found || err != nil {
		t.Fatalf("before any create: found=%t err=%v", found, err)
	}
	a, err := tk.Create(ctx, psa.NewTicket{CompanyID: "acme-co", Summary: "locked out", IdempotencyKey: "r9"})
	if err != nil {
		t.Fatal(err)
	}
	got, found, err := tk.FindCreated(ctx, "acme-co", "r9")
	if err != nil || !found || got.ID != a.ID {
		t.Fatalf("after the create: %+v found=%t err=%v", got, found, err)
	}
	if _, found, _ := tk.FindCreated(ctx, "globex-co", "r9"); found {
		t.Fatal("a ticket of another company was reported as created for this key")
	}
	if has, err := tk.HasNote(ctx, a.ID, "r9:note"); has || err != nil {
		t.Fatalf("before the note: has=%t err=%v", has, err)
	}
	if err := tk.AddNote(ctx, a.ID, psa.Note{Text: "reset", Internal: true, IdempotencyKey: "r9:note"}); err != nil {
		t.Fatal(err)
	}
	if has, err := tk.HasNote(ctx, a.ID, "r9:note"); !has || err != nil {
		t.Fatalf("after the note: has=%t err=%v", has, err)
	}
	if has, _ := tk.HasNote(ctx, a.ID, "other"); has {
		t.Fatal("a note with another key was found")
	}
	if _, err := tk.HasNote(ctx, "nope", "r9:note"); !errors.Is(err, psa.ErrNotFound) {
		t.Fatalf("a missing ticket: %v", err)
	}
}

// TestConcurrentCreatesGetDistinctIDs leans on the Store's conflict
// contract: nextID retries a lost compare-and-swap instead of failing or
// handing out one number twice.
func TestConcurrentCreatesGetDistinctIDs(t *testing.T) {
	createsGetDistinctIDs(t, New(newMapStore(), "acme", reversing), 20)
}

// createsGetDistinctIDs creates n tickets at once and fails unless each
// got its own id: the sequence is a compare-and-swap that must retry.
func createsGetDistinctIDs(t *testing.T, tk *Tickets, n int) {
	t.Helper()
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			got, err := tk.Create(context.Background(), psa.NewTicket{CompanyID: "acme-co", Summary: "locked out"})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- got.ID
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("ticket id %s handed out twice", id)
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Fatalf("%d tickets created, want %d", len(seen), n)
	}
}
