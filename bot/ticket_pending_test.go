package bot

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/psa"
)

// downPSA is a PSA that does not answer while down is set, counting the
// calls that went through.
type downPSA struct {
	psa.Tickets
	down           atomic.Bool
	creates, notes atomic.Int32
	resolves       atomic.Int32
	lastNotePw     atomic.Bool
	mu             sync.Mutex
}

var errPSADown = errors.New("connect: connection refused")

func (d *downPSA) Create(ctx context.Context, t psa.NewTicket) (psa.Ticket, error) {
	if d.down.Load() {
		return psa.Ticket{}, errPSADown
	}
	d.creates.Add(1)
	return d.Tickets.Create(ctx, t)
}

func (d *downPSA) AddNote(ctx context.Context, id string, n psa.Note) error {
	if d.down.Load() {
		return errPSADown
	}
	d.notes.Add(1)
	d.lastNotePw.Store(!n.Password.IsZero())
	return d.Tickets.AddNote(ctx, id, n)
}

func (d *downPSA) Resolve(ctx context.Context, id, c string) error {
	if d.down.Load() {
		return errPSADown
	}
	d.resolves.Add(1)
	return d.Tickets.Resolve(ctx, id, c)
}

func (d *downPSA) FindCreated(ctx context.Context, co, key string) (psa.Ticket, bool, error) {
	if d.down.Load() {
		return psa.Ticket{}, false, errPSADown
	}
	return d.Tickets.FindCreated(ctx, co, key)
}

func (d *downPSA) HasNote(ctx context.Context, id, key string) (bool, error) {
	if d.down.Load() {
		return false, errPSADown
	}
	return d.Tickets.HasNote(ctx, id, key)
}

// withDownPSA makes h's service use a PSA that is down.
func withDownPSA(h *harness) *downPSA {
	d := &downPSA{}
	d.down.Store(true)
	h.wrapTickets = func(t psa.Tickets) psa.Tickets { d.Tickets = t; return d }
	h.svc = h.replica(h.st)
	return d
}

func (h *harness) request(id string) *Request {
	h.t.Helper()
	r, err := h.svc.Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// The PSA is down when the reset runs: the account is unlocked and the
// request done all the same, its ticket update pending; the thread says
// so; the sweeper does nothing before the retry is due, then creates the
// ticket once, notes and resolves it, and says so in the thread.
func TestPSADownLeavesTheResetDoneAndTheTicketForLater(t *testing.T) {
	h := newHarness(t, nil)
	psaDown := withDownPSA(h)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatalf("a PSA down failed the reset: %v", err)
	}
	got := h.request(r.ID)
	if got.State != StateDone || !got.Steps.Unlocked || !got.Steps.Verified || !got.Steps.TicketPending || got.Steps.TicketID != "" {
		t.Fatalf("state %s, steps %+v", got.State, got.Steps)
	}
	if u, _ := h.dir.User("alice"); u.Lock.Locked {
		t.Fatal("alice is still locked")
	}
	if !strings.Contains(h.chat.all(), "Ticket update pending") || !strings.Contains(h.audit.String(), `"type":"ticket.pending"`) ||
		!strings.Contains(h.audit.String(), `"type":"reset.completed"`) {
		t.Fatalf("the pending ticket is not said:\n%s\n%s", h.chat.all(), h.audit.String())
	}

	psaDown.down.Store(false)
	if n, err := h.svc.Sweep(ctx); err != nil || n != 0 || psaDown.creates.Load() != 0 {
		t.Fatalf("retried before it was due (%d moved, %d creates): %v", n, psaDown.creates.Load(), err)
	}
	if st := h.svc.LastSweep(); st.Open != 1 {
		t.Fatalf("sweep figures %+v: a done reset whose ticket update is pending is still open", st)
	}
	h.clock.add(ticketRetryFirst + time.Second)
	if n, err := h.svc.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("the due ticket update: %d moved, %v", n, err)
	}
	got = h.request(r.ID)
	if got.Steps.TicketPending || !got.Steps.TicketCreated || !got.Steps.TicketNoted || !got.Steps.TicketResolved {
		t.Fatalf("after the retry: %+v", got.Steps)
	}
	if psaDown.creates.Load() != 1 || psaDown.notes.Load() != 1 || psaDown.resolves.Load() != 1 {
		t.Fatalf("creates %d, notes %d, resolves %d; want one each", psaDown.creates.Load(), psaDown.notes.Load(), psaDown.resolves.Load())
	}
	if !strings.Contains(h.chat.all(), "Ticket updated") || !strings.Contains(h.audit.String(), `"type":"ticket.completed_late"`) {
		t.Fatalf("the late ticket is not said:\n%s", h.chat.all())
	}
	h.clock.add(time.Hour)
	if _, err := h.svc.Sweep(ctx); err != nil || psaDown.creates.Load() != 1 {
		t.Fatal("a done ticket update ran again")
	}
}

// While the PSA stays down, the retries back off, and after the org's
// ticket_retry_for unlockbot gives up and says so, in the thread and to
// the technician; the reset stays done.
func TestPSADownForTooLongIsGivenUp(t *testing.T) {
	h := newHarness(t, nil)
	h.org.Policy.TicketRetryFor = 2 * time.Hour
	withDownPSA(h)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	for range 6 {
		before := h.request(r.ID).Steps.TicketRetryAt
		h.clock.add(before.Sub(h.clock.now()) + time.Second)
		if _, err := h.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		waits = append(waits, h.request(r.ID).Steps.TicketRetryAt.Sub(h.clock.now()))
	}
	if !(waits[0] < waits[2] && waits[2] < waits[4]) || waits[5] > ticketRetryMax {
		t.Fatalf("retries do not back off within %s: %v", ticketRetryMax, waits)
	}
	if strings.Contains(h.audit.String(), "ticket.gave_up") {
		t.Fatal("gave up too early")
	}
	h.clock.add(2 * time.Hour)
	if _, err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got := h.request(r.ID)
	if got.State != StateDone || got.Steps.TicketPending || !got.Steps.TicketGaveUp || !strings.Contains(h.audit.String(), `"type":"ticket.gave_up"`) {
		t.Fatalf("not given up: %s %+v", got.State, got.Steps)
	}
	if n := strings.Count(h.chat.all(), "gave up updating the ticket"); n != 2 {
		t.Fatalf("told %d times (want the thread and the technician):\n%s", n, h.chat.all())
	}
	if c := approvalCard(h.org, got); !strings.Contains(c.Text, "add the note") {
		t.Fatalf("the card does not say what to do: %q", c.Text)
	}
}

// Two replicas sweeping at once run a due ticket update once.
func TestPendingTicketRetriedByOneReplica(t *testing.T) {
	h := newHarness(t, nil)
	psaDown := withDownPSA(h)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	psaDown.down.Store(false)
	h.clock.add(ticketRetryFirst + time.Second)
	other := h.replica(h.st)
	var wg sync.WaitGroup
	for _, svc := range []*Service{h.svc, other, h.svc, other} {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = svc.Sweep(ctx) }()
	}
	wg.Wait()
	if psaDown.creates.Load() != 1 || psaDown.notes.Load() != 1 {
		t.Fatalf("%d creates, %d notes by replicas sweeping at once; want 1 each", psaDown.creates.Load(), psaDown.notes.Load())
	}
}

// A note that should carry the generated password, added after the
// technician revealed it (the password is gone), goes without it, and the
// thread says so.
func TestLateNoteAfterRevealSaysThePasswordIsNotInIt(t *testing.T) {
	h := newHarness(t, nil)
	psaDown := withDownPSA(h)
	ctx := context.Background()
	sub := Submission{Requester: tech, OrgID: "acme", Account: "alice", Temporary: true, NoteToPSA: true, Reason: "Verified by call-back to HR number"}
	r, err := h.svc.Submit(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Reveal(ctx, r.ID, tech, func(context.Context, Card) error { return nil }); err != nil {
		t.Fatal(err)
	}
	psaDown.down.Store(false)
	h.clock.add(ticketRetryFirst + time.Second)
	if _, err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if psaDown.notes.Load() != 1 || psaDown.lastNotePw.Load() || !h.request(r.ID).Steps.NotePasswordLost {
		t.Fatalf("notes %d, with password %v", psaDown.notes.Load(), psaDown.lastNotePw.Load())
	}
	if !strings.Contains(h.chat.all(), "The new password is not in the note") {
		t.Fatalf("the thread does not say the password is missing:\n%s", h.chat.all())
	}
}

func TestTicketBackoff(t *testing.T) {
	for tries, want := range map[int]time.Duration{0: time.Minute, 1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 5: 16 * time.Minute, 6: 30 * time.Minute, 40: 30 * time.Minute, 1 << 30: 30 * time.Minute} {
		if got := ticketBackoff(ticketRetryFirst, tries); got != want {
			t.Errorf("try %d: %s, want %s", tries, got, want)
		}
	}
	if got := ticketBackoff(time.Second, 3); got != 4*time.Second {
		t.Errorf("from 1s, try 3: %s", got)
	}
}

// movedPSA reports, once moved is set, every ticket as another company's.
type movedPSA struct {
	psa.Tickets
	moved     atomic.Bool
	notes     atomic.Int32
	failNotes atomic.Int32 // notes that fail (the PSA down) before one goes through
}

func (m *movedPSA) Get(ctx context.Context, id string) (psa.Ticket, error) {
	t, err := m.Tickets.Get(ctx, id)
	if m.moved.Load() {
		t.CompanyID = "globex-co"
	}
	return t, err
}

func (m *movedPSA) AddNote(ctx context.Context, id string, n psa.Note) error {
	if m.failNotes.Add(-1) >= 0 {
		return errPSADown
	}
	m.notes.Add(1)
	return m.Tickets.AddNote(ctx, id, n)
}

// A picked ticket moved to another company while the request waited gets
// no note (it may carry the password); the reset stands, the ticket update
// is given up at once, and the card says why.
func TestPickedTicketMovedToAnotherCompanyGetsNoNote(t *testing.T) {
	h := newHarness(t, nil)
	m := &movedPSA{}
	h.wrapTickets = func(tk psa.Tickets) psa.Tickets { m.Tickets = tk; return m }
	h.svc = h.replica(h.st)
	ctx := context.Background()
	tk, err := m.Tickets.Create(ctx, psa.NewTicket{CompanyID: "acme-co", Summary: "Locked out", IdempotencyKey: "seed"})
	if err != nil {
		t.Fatal(err)
	}
	sub := Submission{Requester: tech, OrgID: "acme", Account: "alice", TicketID: tk.ID, NoteToPSA: true, Reason: "Verified by call-back to HR number"}
	r, err := h.svc.Submit(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	m.moved.Store(true)
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	got := h.request(r.ID)
	if got.State != StateDone || !got.Steps.TicketGaveUp || got.Steps.TicketPending || m.notes.Load() != 0 {
		t.Fatalf("state %s, steps %+v, %d notes", got.State, got.Steps, m.notes.Load())
	}
	if c := approvalCard(h.org, got); !strings.Contains(c.Text, "no longer belongs to Acme") {
		t.Fatalf("the card does not say why: %q", c.Text)
	}
	if !strings.Contains(h.audit.String(), `"type":"ticket.gave_up"`) {
		t.Fatal("not audited")
	}
}

// The same move found by a later retry (the PSA was down at first): the
// update is given up then, and the thread is told.
func TestTicketMovedBeforeALateNoteIsGivenUpInTheThread(t *testing.T) {
	h := newHarness(t, nil)
	m := &movedPSA{}
	m.failNotes.Store(1)
	h.wrapTickets = func(tk psa.Tickets) psa.Tickets { m.Tickets = tk; return m }
	h.svc = h.replica(h.st)
	ctx := context.Background()
	tk, err := m.Tickets.Create(ctx, psa.NewTicket{CompanyID: "acme-co", Summary: "Locked out", IdempotencyKey: "seed"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := h.svc.Submit(ctx, Submission{Requester: tech, OrgID: "acme", Account: "alice", TicketID: tk.ID, Reason: "Verified by call-back to HR number"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	if !h.request(r.ID).Steps.TicketPending {
		t.Fatal("the failed note did not leave the update pending")
	}
	m.moved.Store(true)
	h.clock.add(ticketRetryFirst + time.Second)
	if _, err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.request(r.ID); !got.Steps.TicketGaveUp || m.notes.Load() != 0 {
		t.Fatalf("steps %+v, %d notes", got.Steps, m.notes.Load())
	}
	if !strings.Contains(h.chat.all(), "gave up updating the ticket") || !strings.Contains(h.chat.all(), "no longer belongs to Acme") {
		t.Fatalf("the thread was not told:\n%s", h.chat.all())
	}
}
