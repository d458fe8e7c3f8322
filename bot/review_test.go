package bot

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/bot/store"
)

// Tests for the findings of the security review of the core (issue 14).
// Each failed on the code before its fix.

// 1. A record written straight into the store, not by the service, is not
// acted on: the sweeper does not execute a planted "approved" request, the
// attacker gets no Reveal button, and the org's approvers are alerted.
func TestPlantedRecordIsNotActedOn(t *testing.T) {
	stores(t, func(t *testing.T, newStore func() store.Store) {
		h := newHarness(t, newStore())
		ctx := context.Background()
		now := h.clock.now()
		planted := Request{ID: "rplantedplantedpl", OrgID: "acme", Platform: "test", Requester: other,
			Account:   AccountRef{ID: "CN=alice,OU=Staff,DC=example,DC=test", Username: "alice", WasLocked: true},
			Generated: true, Reason: "planted by whoever can write Redis", State: StateApproved,
			Approver: &approver, ApprovedAt: now, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
		b, _ := json.Marshal(planted)
		if _, err := h.st.Create(ctx, requestKey(planted.ID), b, time.Hour); err != nil {
			t.Fatal(err)
		}
		h.clock.add(3 * time.Minute)
		if _, err := h.svc.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if h.dir.Calls.Unlock != 0 || h.dir.Calls.SetPassword != 0 {
			t.Fatalf("the planted request was executed: unlocks %d, sets %d", h.dir.Calls.Unlock, h.dir.Calls.SetPassword)
		}
		if chat := h.chat.all(); strings.Contains(chat, "unlockbot.reveal") {
			t.Fatal("the planted requester was offered the password")
		}
		if !strings.Contains(h.audit.String(), `"type":"request.tampered"`) {
			t.Fatalf("no tamper record in the audit trail:\n%s", h.audit.String())
		}
		if !strings.Contains(h.chat.all(), "post C-approvals") || !strings.Contains(h.chat.all(), "integrity") {
			t.Fatalf("the approval channel was not alerted:\n%s", h.chat.all())
		}
		// Swept again: one alert per record version, not one per sweep.
		h.clock.add(time.Minute)
		_, _ = h.svc.Sweep(ctx)
		if n := strings.Count(h.audit.String(), `"type":"request.tampered"`); n != 1 {
			t.Fatalf("%d tamper records after two sweeps, want 1", n)
		}
		// A due-set member no request could have is audited, never read,
		// never quoted to people, and dropped.
		if _, err := h.st.Schedule(ctx, dueSet, "see https://evil.example/reset", h.clock.now()); err != nil {
			t.Fatal(err)
		}
		_, _ = h.svc.Sweep(ctx)
		if !strings.Contains(h.audit.String(), "malformed due-set member") || strings.Contains(h.chat.all(), "evil.example") {
			t.Fatalf("a malformed due-set member: audit\n%s\nchat\n%s", h.audit.String(), h.chat.all())
		}
		if n, _ := h.st.Scheduled(ctx, dueSet); n != 0 {
			t.Fatalf("%d members left in the due-set, want the planted ones dropped", n)
		}
	})
}

// 1b. A real pending request whose stored requester is rewritten cannot
// be approved: the approver would hand the Reveal button to the attacker.
func TestRewrittenRecordCannotBeApproved(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	rec, err := h.st.Get(ctx, requestKey(r.ID))
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(string(rec.Value), `"id":"U1"`, `"id":"U3"`, 1)
	if forged == string(rec.Value) {
		t.Fatalf("test setup: requester id not found in %s", rec.Value)
	}
	if _, err := h.st.CompareAndSwap(ctx, requestKey(r.ID), rec.Version, []byte(forged), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Approve(ctx, r.ID, approver); err == nil {
		t.Fatal("a rewritten record was approved")
	}
	if h.dir.Calls.SetPassword != 0 {
		t.Fatal("the rewritten request reset the password")
	}
	if !strings.Contains(h.audit.String(), `"type":"request.tampered"`) {
		t.Fatal("no tamper record")
	}
}

// 4. The approval window applies wherever a reset may start: the sweeper
// does not resume a reset whose approval is older than approval_ttl.
func TestSweeperRefusesAStaleApproval(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	h.svc.afterStep = func(step string) error {
		if step == "reserve" {
			runtime.Goexit() // the worker dies right after claiming
		}
		return nil
	}
	r := h.mustSubmit("alice", "")
	done := make(chan struct{})
	go func() { defer close(done); _, _ = h.svc.Approve(ctx, r.ID, approver) }()
	<-done
	h.clock.add(2 * time.Hour)
	sweeper := h.replica(h.st)
	if _, err := sweeper.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := sweeper.Get(ctx, r.ID)
	if got.State != StateFailed || got.Retryable {
		t.Fatalf("a two-hour-old approval was resumed: %s retryable=%t", got.State, got.Retryable)
	}
	if h.dir.Calls.Unlock != 0 || h.dir.Calls.SetPassword != 0 {
		t.Fatal("the stale approval changed the account")
	}
	if !strings.Contains(h.audit.String(), "approval_stale") {
		t.Fatalf("the refusal is not audited with its reason:\n%s", h.audit.String())
	}
}

// 9. Reveal once means once: a showing the platform reports as failed
// (a timeout after Slack may well have shown it) does not re-arm Reveal,
// and the private message says what to do if the window never appeared.
func TestRevealHappensOnce(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.chat.all(), "new request") {
		t.Fatalf("the private message does not say what to do if the password never appears:\n%s", h.chat.all())
	}
	if _, _, err := h.svc.RevealPassword(ctx, r.ID, tech); err != nil {
		t.Fatal(err)
	}
	_ = h.svc.ConfirmReveal(ctx, r.ID, false)
	if _, _, err := h.svc.RevealPassword(ctx, r.ID, tech); KindOf(err) != KindConflict {
		t.Fatalf("a second reveal after a failed showing: %v", err)
	}
	if _, err := h.st.Get(ctx, passwordKey(r.ID)); err == nil {
		t.Fatal("the sealed password is still kept after its one reveal")
	}
}

// 10. Per technician: at most 5 open requests at once and 20 an hour.
func TestTechnicianLimits(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	var open []*Request
	for range 5 {
		open = append(open, h.mustSubmit("bob", ""))
	}
	_, err := h.submit("bob", "")
	if err == nil || !strings.Contains(SafeMessage(err), "open") {
		t.Fatalf("a sixth open request: %v", err)
	}
	if _, err := h.svc.Deny(ctx, open[0].ID, approver, "no"); err != nil {
		t.Fatal(err)
	}
	sixth, err := h.submit("bob", "")
	if err != nil {
		t.Fatalf("a request after one was decided: %v", err)
	}
	for _, r := range append(open[1:], sixth) {
		_, _ = h.svc.Deny(ctx, r.ID, approver, "")
	}
	// 6 so far this hour; 14 more are allowed, each decided at once.
	for i := range 14 {
		r, err := h.submit("bob", "")
		if err != nil {
			t.Fatalf("request %d of the hour: %v", 7+i, err)
		}
		if _, err := h.svc.Deny(ctx, r.ID, approver, ""); err != nil {
			t.Fatal(err)
		}
	}
	_, err = h.submit("bob", "")
	if err == nil || !strings.Contains(SafeMessage(err), "hour") {
		t.Fatalf("the 21st request in an hour: %v", err)
	}
	if !strings.Contains(h.audit.String(), "technician_rate_limit") {
		t.Fatal("the refusal is not audited with its reason")
	}
	h.clock.add(61 * time.Minute)
	if _, err := h.submit("bob", ""); err != nil {
		t.Fatalf("an hour later: %v", err)
	}
}

// 11. Display names can be changed by anyone to impersonate a colleague:
// cards and ticket notes carry the immutable id beside the name.
func TestPeopleAreNamedByTheirImmutableID(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	impostor := Actor{Platform: "test", ID: "U1", Name: "Abe Approver"} // tech, renamed
	r, err := h.svc.Submit(ctx, Submission{Requester: impostor, OrgID: "acme", Account: "alice", Reason: "Verified by call-back to HR number"})
	if err != nil {
		t.Fatal(err)
	}
	c := approvalCard(h.org, r)
	var by *Field
	for i := range c.Fields {
		if c.Fields[i].Label == "Requested by" {
			by = &c.Fields[i]
		}
	}
	if by == nil || !strings.Contains(by.Value, "U1") {
		t.Fatalf("the approval card names the requester without their id: %+v", c.Fields)
	}
	if strings.Contains(c.Text, "Abe Approver") {
		t.Fatalf("the card's sentence quotes the editable display name: %q", c.Text)
	}
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	got, _ := h.svc.Get(ctx, r.ID)
	notes, _ := h.tickets.Notes(ctx, got.Steps.TicketID)
	if len(notes) == 0 || !strings.Contains(notes[0].Text, "(U1)") || !strings.Contains(notes[0].Text, "(U2)") {
		t.Fatalf("the ticket note does not carry the ids: %+v", notes)
	}
}

// 12. A refused reset names whose account was attempted: as typed, and
// the DN once the directory resolved it.
func TestRefusalAuditNamesTheTarget(t *testing.T) {
	h := newHarness(t, nil)
	if _, err := h.submit("dadmin", ""); err == nil {
		t.Fatal("a domain admin's reset was accepted")
	}
	var ev audit.Event
	for _, line := range strings.Split(h.audit.String(), "\n") {
		if strings.Contains(line, `"request.refused"`) {
			_ = json.Unmarshal([]byte(line), &ev)
		}
	}
	if ev.Target != "dadmin" || ev.TargetDN != "CN=dadmin,OU=Staff,DC=example,DC=test" {
		t.Fatalf("refusal names target %q dn %q", ev.Target, ev.TargetDN)
	}
	if _, err := h.submit("nobody-here", ""); err == nil {
		t.Fatal("an unknown account was accepted")
	}
	if !strings.Contains(h.audit.String(), `"target":"nobody-here"`) {
		t.Fatal("a refusal of an unknown account does not say what was typed")
	}
}
