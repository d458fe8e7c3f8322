package bot

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/audit"
)

// events are the records the harness wrote, in order.
func (h *harness) events() []audit.Event {
	h.t.Helper()
	var out []audit.Event
	sc := bufio.NewScanner(strings.NewReader(h.audit.String()))
	for sc.Scan() {
		var e audit.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func (h *harness) eventOf(id, typ string) (audit.Event, bool) {
	for _, e := range h.events() {
		if e.RequestID == id && e.Type == typ {
			return e, true
		}
	}
	return audit.Event{}, false
}

// A ticket chosen in the form is on every event of the request from the
// first; a delivery that failed says where.
func TestEventsNameTheTicketAndTheDelivery(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	tk, _ := h.tickets.Create(ctx, psaTicket("acme-co"))
	r, err := h.svc.Submit(ctx, Submission{Requester: tech, OrgID: "acme", Account: "alice", TicketID: tk.ID, Reason: "Verified by call-back"})
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := h.eventOf(r.ID, "request.submitted"); e.Ticket != tk.ID || e.ActorName != tech.Name || e.Platform != "test" {
		t.Fatalf("submitted: ticket %q actor %q platform %q", e.Ticket, e.ActorName, e.Platform)
	}
	h.chat.failTell = errors.New("chat: channel_not_found")
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	// Confirmations the platform did not take are tried again by the
	// sweeper, notifyTries times in all, and only then given up on.
	for try := 2; try <= notifyTries; try++ {
		if _, ok := h.eventOf(r.ID, "request.delivered"); ok {
			t.Fatalf("given up after %d tries, want %d", try-1, notifyTries)
		}
		h.clock.add(2 * time.Minute)
		if _, err := h.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	e, ok := h.eventOf(r.ID, "request.delivered")
	if !ok || e.Outcome != audit.Failed || e.Detail["thread"] != "failed" || e.Detail["requester"] != "failed" {
		t.Fatalf("delivered: %+v", e)
	}
	if a, _ := h.eventOf(r.ID, "request.approved"); a.ActorName != approver.Name || a.Detail["wait_ms"] == "" {
		t.Fatalf("approved: %+v", a)
	}

	h.chat.failTell = nil
	r2 := h.mustSubmit("bob", "")
	if _, err := h.svc.Approve(ctx, r2.ID, approver); err != nil {
		t.Fatal(err)
	}
	if e, _ := h.eventOf(r2.ID, "request.delivered"); e.Outcome != audit.OK || e.Detail["thread"] != "sent" || e.Detail["requester"] != "sent" {
		t.Fatalf("delivered: %+v", e)
	}
}

// A reset taken over from a worker that died is recorded once, with the
// attempt; a reset that runs through is not.
func TestTakeOverIsRecorded(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	plain := h.mustSubmit("bob", "")
	if _, err := h.svc.Approve(ctx, plain.ID, approver); err != nil {
		t.Fatal(err)
	}
	crashed := h.mustSubmit("alice", "")
	h.svc.afterStep = func(step string) error {
		if step == "write" {
			runtime.Goexit()
		}
		return nil
	}
	done := make(chan struct{})
	go func() { defer close(done); _, _ = h.svc.Approve(ctx, crashed.ID, approver) }()
	<-done
	sweeper := h.replica(h.st)
	if _, err := sweeper.Execute(ctx, crashed.ID); KindOf(err) != KindConflict {
		t.Fatalf("inside the lease another worker must not take it: %v", err)
	}
	h.clock.add(3 * time.Minute)
	if _, err := sweeper.Execute(ctx, crashed.ID); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range h.events() {
		if e.Type == "request.taken_over" {
			n++
			if e.RequestID != crashed.ID || e.Detail["attempt"] != "2" {
				t.Fatalf("taken over: %+v", e)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d take-over records, want 1 (the refused early claim and the plain run add none)", n)
	}
}

// The password changed in the directory after the request was submitted
// (someone else reset it): the approval no longer applies and nothing is
// written. A directory that reports no stamp cannot tell, so it is not
// refused for that.
func TestPasswordChangedSinceSubmitIsRefused(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	a, _ := h.dir.User("alice")
	a.PasswordStamp = "99"
	h.dir.Put(a)
	got, err := h.svc.Approve(ctx, r.ID, approver)
	if err == nil || got.State != StateFailed || !strings.Contains(got.Failure, "was changed after this request was submitted") {
		t.Fatalf("changed since submit: %v, %+v", err, got)
	}
	if h.dir.Calls.SetPassword != 0 {
		t.Fatal("the password was written over the newer one")
	}
	if e, _ := h.eventOf(r.ID, "reset.refused"); e.Detail["code"] != "changed_since_request" {
		t.Fatalf("refusal audited as %+v", e)
	}

	b, _ := h.dir.User("bob")
	b.PasswordStamp = ""
	h.dir.Put(b)
	r2 := h.mustSubmit("bob", "")
	b.PasswordStamp = "7"
	h.dir.Put(b)
	if got, err := h.svc.Approve(ctx, r2.ID, approver); err != nil || got.State != StateDone {
		t.Fatalf("no stamp at submit: %v", err)
	}
}
