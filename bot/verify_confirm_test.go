package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// confirmHarness: alice's directory mail is a chat user (owner) on the
// test platform, and the org requires the chat confirmation.
func confirmHarness(t *testing.T, p VerifyPolicy) (*harness, *finderChat) {
	t.Helper()
	if p.Required == nil && p.Offered == nil {
		p.Required = []VerifyMethod{VerifyChatConfirm}
	}
	h, _ := verifyHarness(t, p)
	f := &finderChat{h.chat, map[string]Actor{"alice@example.test": owner}}
	h.svc.SetNotifier("test", f)
	return h, f
}

// ask presses Ask the owner in chat and waits for the DM.
func (h *harness) ask(id string) {
	h.t.Helper()
	a := h.svc.Click(context.Background(), Click{Action: ActionVerifyConfirm, RequestID: id, Actor: tech, Where: "D-tech"})
	if !strings.Contains(a.Tell, "Asking Alice Person (alice) in chat") || a.Form != nil {
		h.t.Fatalf("ask answered %+v", a)
	}
	h.drain()
}

func (h *harness) answer(id string, who Actor, yes bool) Answer {
	act := ActionConfirmNo
	if yes {
		act = ActionConfirmYes
	}
	return h.svc.Click(context.Background(), Click{Action: act, RequestID: id, Actor: Actor{Platform: who.Platform, Tenant: who.Tenant, ID: who.ID}, Where: "D-owner"})
}

func TestChatConfirmYesLetsTheRequestProceed(t *testing.T) {
	h, _ := confirmHarness(t, VerifyPolicy{})
	r := h.mustSubmit("alice", "")
	if !strings.Contains(h.chat.all(), "{ID:unlockbot.verify_confirm Label:Ask the owner in chat") {
		t.Fatalf("no Ask button: %s", h.chat.all())
	}
	h.ask(r.ID)
	chat := h.chat.all()
	if !strings.Contains(chat, "dm test:U-alice: {Title:Did you ask to reset your password?") ||
		!strings.Contains(chat, "{ID:unlockbot.confirm_yes Label:Yes, it was me RequestID:"+r.ID+" Style:primary} {ID:unlockbot.confirm_no Label:No RequestID:"+r.ID+" Style:danger}") ||
		!strings.Contains(chat, "open for 10m0s") {
		t.Fatalf("owner's question: %s", chat)
	}
	if ev, ok := h.eventOf(r.ID, "verify.confirm_sent"); !ok || ev.Outcome != "ok" || ev.Detail["timeout"] != "10m0s" || ev.Actor != tech.Key() {
		t.Fatalf("confirm_sent: %+v", ev)
	}
	if got := h.request(r.ID).Verify.Confirm; got == nil || !got.Owner.Same(owner) || !got.Deadline.Equal(h.clock.now().Add(10*time.Minute)) {
		t.Fatalf("pending confirm %+v", got)
	}
	if a := h.answer(r.ID, owner, true); a.Tell != "Thank you. The service desk may go ahead." {
		t.Fatalf("yes answered %+v", a)
	}
	got := h.request(r.ID)
	if got.Verify.Confirm != nil || len(got.Verify.Passed) != 1 || got.Verify.Passed[0] != VerifyChatConfirm {
		t.Fatalf("after yes: %+v", got.Verify)
	}
	if ev, _ := h.eventOf(r.ID, "verify.passed"); ev.Detail["method"] != "chat_confirm" || ev.Actor != owner.Key() {
		t.Fatalf("passed: %+v", ev)
	}
	if !strings.Contains(h.chat.all(), "{Label:Verification Value:passed (chat confirmation)") || !strings.Contains(h.chat.all(), "dm test:U1: {Title:Caller verified") {
		t.Fatalf("card or technician not updated: %s", h.chat.all())
	}
	if a := h.answer(r.ID, owner, true); !strings.Contains(a.Tell, "This question is closed") {
		t.Fatalf("second yes: %+v", a)
	}
	if r, err := h.svc.Approve(context.Background(), r.ID, approver); err != nil || r.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
}

// Without an approval step a Yes runs the reset.
func TestChatConfirmYesRunsWithoutApproval(t *testing.T) {
	h, _ := confirmHarness(t, VerifyPolicy{})
	h.svc.orgs["acme"].Policy.RequireApproval = false
	r := h.mustSubmit("alice", "")
	h.ask(r.ID)
	h.answer(r.ID, owner, true)
	h.drain()
	if s := h.state(r.ID); s != StateDone || h.dir.Calls.SetPassword != 1 {
		t.Fatalf("state %s, %d password sets", s, h.dir.Calls.SetPassword)
	}
}

func TestChatConfirmNoStopsTheRequest(t *testing.T) {
	h, _ := confirmHarness(t, VerifyPolicy{})
	r := h.mustSubmit("alice", "")
	h.ask(r.ID)
	if a := h.answer(r.ID, tech, false); !strings.Contains(a.Tell, "Only the person this question was sent to") {
		t.Fatalf("technician answered for the owner: %+v", a)
	}
	if a := h.answer(r.ID, Actor{Platform: "test", Tenant: "T-other", ID: owner.ID}, true); !strings.Contains(a.Tell, "Only the person") {
		t.Fatalf("the owner's id in another tenant: %+v", a)
	}
	if a := h.answer(r.ID, owner, false); !strings.Contains(a.Tell, "The request was stopped") {
		t.Fatalf("no answered %+v", a)
	}
	got := h.request(r.ID)
	if got.State != StateFailed || got.Retryable || !got.Verify.Denied || got.Verify.Confirm != nil || len(got.Verify.Passed) != 0 {
		t.Fatalf("after no: %+v", got)
	}
	chat := h.chat.all()
	if !strings.Contains(chat, "thread C-approvals: {Title:⚠️ The owner did not ask for this: Alice Person (alice)") ||
		!strings.Contains(chat, "dm test:U1: {Title:⚠️ The owner did not ask for this") ||
		!strings.Contains(chat, "{Label:Verification Value:failed (the account's owner said they did not ask; request stopped)") {
		t.Fatalf("alerts: %s", chat)
	}
	if ev, ok := h.eventOf(r.ID, "verify.confirm_denied"); !ok || ev.Outcome != "refused" || ev.Actor != owner.Key() {
		t.Fatalf("denial audited as %+v", ev)
	}
	if _, err := h.svc.Approve(context.Background(), r.ID, approver); KindOf(err) != KindConflict {
		t.Fatalf("approve after no: %v", err)
	}
	if _, err := h.svc.Retry(context.Background(), r.ID, tech); KindOf(err) != KindConflict {
		t.Fatalf("retry after no: %v", err)
	}
	if a := h.answer(r.ID, owner, true); !strings.Contains(a.Tell, "closed") {
		t.Fatalf("yes after no: %+v", a)
	}
	if h.dir.Calls.SetPassword != 0 || h.dir.Calls.Unlock != 0 {
		t.Fatal("a denied request changed the directory")
	}
}

// Without an approval card the alert is a message of its own.
func TestChatConfirmNoAlertsTheChannelWithoutACard(t *testing.T) {
	h, _ := confirmHarness(t, VerifyPolicy{})
	h.svc.orgs["acme"].Policy.RequireApproval = false
	r := h.mustSubmit("alice", "")
	h.ask(r.ID)
	h.answer(r.ID, owner, false)
	if !strings.Contains(h.chat.all(), "post C-approvals: {Title:⚠️ The owner did not ask for this") {
		t.Fatalf("channel not alerted: %s", h.chat.all())
	}
	if s := h.state(r.ID); s != StateFailed {
		t.Fatalf("state %s", s)
	}
}

func TestChatConfirmSilenceTimesOutInASweep(t *testing.T) {
	h, _ := confirmHarness(t, VerifyPolicy{ConfirmTimeout: 5 * time.Minute})
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	h.ask(r.ID)
	if !strings.Contains(h.chat.all(), "open for 5m0s") {
		t.Fatalf("timeout not in the question: %s", h.chat.all())
	}
	h.clock.add(5 * time.Minute)
	if n, err := h.svc.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("sweep at the deadline moved %d (%v)", n, err)
	}
	h.clock.add(time.Second)
	if a := h.answer(r.ID, owner, true); !strings.Contains(a.Tell, "This question expired") {
		t.Fatalf("late yes: %+v", a)
	}
	if n, err := h.svc.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep after the deadline moved %d (%v)", n, err)
	}
	got := h.request(r.ID)
	if got.State != StatePendingApproval || got.Verify.Confirm != nil || got.Verify.Failures != 1 || len(got.Verify.Passed) != 0 {
		t.Fatalf("after silence: %+v", got)
	}
	if ev, _ := h.eventOf(r.ID, "verify.failed"); ev.Detail["why"] != "confirm_timeout" || ev.Actor != "system" || ev.Detail["failures"] != "1" {
		t.Fatalf("timeout audited as %+v", ev)
	}
	if !strings.Contains(h.chat.all(), "dm test:U1: {Title:No answer from the owner: Alice Person (alice) Text:Alice Person (alice) did not answer in chat within 5m0s, so the confirmation failed (2 tries left") {
		t.Fatalf("technician not told: %s", h.chat.all())
	}
	if a := h.answer(r.ID, owner, true); !strings.Contains(a.Tell, "closed") {
		t.Fatalf("yes after the timeout: %+v", a)
	}
	if n, _ := h.svc.Sweep(ctx); n != 0 {
		t.Fatalf("a second sweep moved %d", n)
	}
	// Two more silences lock the request.
	for range 2 {
		h.ask(r.ID)
		h.clock.add(5*time.Minute + time.Second)
		h.svc.Sweep(ctx)
	}
	got = h.request(r.ID)
	if got.State != StateFailed || !got.Verify.Locked || got.Retryable {
		t.Fatalf("after three silences: %+v", got)
	}
	if ev, ok := h.eventOf(r.ID, "verify.locked"); !ok || ev.Detail["why"] != "confirm_timeout" {
		t.Fatalf("lock audited as %+v", ev)
	}
	if !strings.Contains(h.chat.all(), "thread C-approvals: {Title:⚠️ Verification failed") {
		t.Fatalf("channel not alerted: %s", h.chat.all())
	}
}

func TestConfirmDeadlineIsTheSweepersNext(t *testing.T) {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	r := &Request{State: StatePendingApproval, ExpiresAt: now.Add(time.Hour)}
	r.Verify.Confirm = &PendingConfirm{Deadline: now.Add(10 * time.Minute)}
	for _, st := range []State{StatePendingApproval, StateVerifying} {
		r.State = st
		if at, ok := nextDeadline(r, time.Minute); !ok || !at.Equal(now.Add(10*time.Minute)) {
			t.Fatalf("%s: next %v %v, want the confirm deadline", st, at, ok)
		}
	}
	r.Verify.Confirm.Deadline = now.Add(2 * time.Hour)
	if at, _ := nextDeadline(r, time.Minute); !at.Equal(r.ExpiresAt) {
		t.Fatalf("next %v, want the expiry", at)
	}
	r.Verify.Confirm = nil
	if at, _ := nextDeadline(r, time.Minute); !at.Equal(r.ExpiresAt) {
		t.Fatalf("next %v, want the expiry", at)
	}
}

func TestChatConfirmNeedsAnOwnerToAsk(t *testing.T) {
	h, f := confirmHarness(t, VerifyPolicy{})
	r := h.mustSubmit("alice", "")
	whispered := func(want string) {
		t.Helper()
		h.svc.Click(context.Background(), Click{Action: ActionVerifyConfirm, RequestID: r.ID, Actor: tech, Where: "D-tech"})
		h.drain()
		if !strings.Contains(h.chat.all(), "whisper test:U1@D-tech: {Title: Text:"+want) {
			t.Fatalf("want %q: %s", want, h.chat.all())
		}
	}
	delete(f.people, "alice@example.test")
	whispered("Nobody in this chat workspace has alice's directory e-mail")
	// Found by UPN when the mail is not a chat user.
	alice, _ := h.dir.User("alice")
	alice.UPN = "alice@corp.example.test"
	h.dir.Put(alice)
	f.people["alice@corp.example.test"] = owner
	h.dir.FailNext("Lookup", errors.New("dc down"))
	whispered("alice could not be read from the directory")
	h.ask(r.ID)
	if got := h.request(r.ID).Verify.Confirm; got == nil || !got.Owner.Same(owner) {
		t.Fatalf("owner by UPN: %+v", got)
	}
	whispered("The owner was already asked")
	h.svc.SetNotifier("test", h.chat)
	h.clock.add(11 * time.Minute)
	whispered("This chat platform cannot find the account's owner")
	if a := h.svc.Click(context.Background(), Click{Action: ActionVerifyConfirm, RequestID: r.ID, Actor: approver}); !strings.Contains(a.Tell, "Only the technician who asked") {
		t.Fatalf("approver asked: %+v", a)
	}
}

type failingFinder struct{ *fakeChat }

func (failingFinder) FindByEmail(context.Context, string) (Actor, bool, error) {
	return Actor{}, false, errors.New("slack down")
}

// dmFailChat refuses every DM to the owner.
type dmFailChat struct{ *finderChat }

func (d dmFailChat) Notify(ctx context.Context, to Actor, c Card) error {
	if to.Same(owner) {
		return errors.New("dm refused")
	}
	return d.finderChat.Notify(ctx, to, c)
}

func TestChatConfirmSendFailures(t *testing.T) {
	h, _ := confirmHarness(t, VerifyPolicy{})
	r := h.mustSubmit("alice", "")
	h.svc.SetNotifier("test", failingFinder{h.chat})
	h.svc.Click(context.Background(), Click{Action: ActionVerifyConfirm, RequestID: r.ID, Actor: tech, Where: "D-tech"})
	h.drain()
	if !strings.Contains(h.chat.all(), "The chat platform did not answer") {
		t.Fatalf("lookup failure: %s", h.chat.all())
	}
	h.svc.SetNotifier("test", dmFailChat{&finderChat{h.chat, map[string]Actor{"alice@example.test": owner}}})
	h.svc.Click(context.Background(), Click{Action: ActionVerifyConfirm, RequestID: r.ID, Actor: tech, Where: "D-tech"})
	h.drain()
	if ev, ok := h.eventOf(r.ID, "verify.confirm_sent"); !ok || ev.Outcome != "failed" {
		t.Fatalf("failed DM audited as %+v", ev)
	}
	if got := h.request(r.ID).Verify.Confirm; got != nil {
		t.Fatalf("a question never sent is pending: %+v", got)
	}
	if !strings.Contains(h.chat.all(), "The question could not be sent in chat") {
		t.Fatalf("not told: %s", h.chat.all())
	}
}

func TestConfirmCardForAnUnlock(t *testing.T) {
	o := &Org{Name: "Acme"}
	r := &Request{ID: "r1", Mode: ModeUnlock, Account: AccountRef{Username: "alice"}}
	if c := confirmCard(o, r); c.Title != "Did you ask to unlock your account?" || !strings.Contains(c.Text, "asked to unlock your account (alice)") {
		t.Fatalf("card %+v", c)
	}
}
