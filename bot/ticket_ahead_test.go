package bot

import (
	"context"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

// readBackWatch is a directory whose read-back (Verify) waits, up to a
// second, for a ticket to appear, and says whether one did.
type readBackWatch struct {
	identity.Directory
	h       *harness
	sawTick chan bool
}

func (d readBackWatch) Verify(ctx context.Context, a identity.Account, pw identity.Secret, temporary bool) (identity.Verification, error) {
	deadline := time.Now().Add(time.Second)
	for d.h.ticketCount() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	d.sawTick <- d.h.ticketCount() == 1
	return d.Directory.Verify(ctx, a, pw, temporary)
}

// TestTheTicketIsMadeWhileTheAccountIsReadBack: once the write is done the
// ticket is owed whatever the read-back finds, so a first try creates it
// during the read-back instead of after it (ticketSoon); the reset then
// completes with that one ticket, noted and resolved.
func TestTheTicketIsMadeWhileTheAccountIsReadBack(t *testing.T) {
	h := newHarness(t, nil)
	w := readBackWatch{Directory: h.org.Directory, h: h, sawTick: make(chan bool, 1)}
	h.org.Directory = w
	h.svc = h.replica(h.st)
	r := h.mustSubmit("alice", "")
	got, err := h.svc.Approve(context.Background(), r.ID, approver)
	if err != nil || got.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	if !<-w.sawTick {
		t.Fatal("no ticket was made while the account was read back")
	}
	notes, _ := h.tickets.Notes(context.Background(), got.Steps.TicketID)
	if h.ticketCount() != 1 || !got.Steps.TicketCreated || !got.Steps.TicketResolved || len(notes) != 2 {
		t.Fatalf("%d tickets, %d notes, steps %+v", h.ticketCount(), len(notes), got.Steps)
	}
	if auditCount(h, "ticket.created") != 1 {
		t.Fatalf("trail:\n%s", h.audit.String())
	}
}

// TestAFirstTrySavesNothingBetweenTheWriteAndDone: on a first try the
// ticket and the note are asked for by the request's key if a worker ever
// takes over (onceKeyed), so no save of the request happens between the
// write's intent and the done save: the request's version after the
// write is the one the completion finds.
func TestAFirstTrySavesNothingBetweenTheWriteAndDone(t *testing.T) {
	h := newHarness(t, nil)
	r := h.mustSubmit("alice", "")
	versions := map[string]int64{}
	h.svc.afterStep = func(step string) error {
		if step == "write" || step == "audit" {
			versions[step] = h.request(r.ID).version
		}
		return nil
	}
	got, err := h.svc.Approve(context.Background(), r.ID, approver)
	if err != nil || got.State != StateDone || !got.Steps.TicketNoted {
		t.Fatalf("approve: %v", err)
	}
	if versions["write"] == 0 || versions["audit"] != versions["write"] {
		t.Fatalf("request versions at the write %d and at the completion %d: the ticket or the note saved on a first try", versions["write"], versions["audit"])
	}
}

// TestATicketItMadeIsNotedAndResolvedInOneWrite: on the local tickets (a
// psa.Finisher) the reset's note and the resolution of the ticket it made
// are one change of the ticket; both are in the ticket and the trail.
func TestATicketItMadeIsNotedAndResolvedInOneWrite(t *testing.T) {
	h := newHarness(t, nil)
	st := &swaps{Store: h.st, prefix: "psa:acme:ticket:"}
	svc := h.replica(st)
	r, err := submitOn(svc, "alice")
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Approve(context.Background(), r.ID, approver)
	if err != nil || got.State != StateDone || !got.Steps.TicketNoted || !got.Steps.TicketResolved {
		t.Fatalf("approve: %v %+v", err, got.Steps)
	}
	tk, _ := h.tickets.Get(context.Background(), got.Steps.TicketID)
	notes, _ := h.tickets.Notes(context.Background(), got.Steps.TicketID)
	if !tk.Closed || len(notes) != 2 || st.n.Load() != 1 {
		t.Fatalf("closed %t, %d notes, %d writes of the ticket after its create; want closed, the note and the resolution, one write", tk.Closed, len(notes), st.n.Load())
	}
	if auditCount(h, "ticket.noted") != 1 || auditCount(h, "ticket.resolved") != 1 {
		t.Fatalf("trail:\n%s", h.audit.String())
	}
}
