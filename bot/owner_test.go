package bot

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
)

// fakeMailer records every mail; fail makes Send refuse.
type fakeMailer struct {
	mu     sync.Mutex
	sent   []Mail
	fail   error
	onSend func() // called as a mail goes out
}

func (m *fakeMailer) Send(_ context.Context, x Mail) error {
	if m.onSend != nil {
		m.onSend()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.sent = append(m.sent, x)
	return nil
}

func (m *fakeMailer) to(addr string) []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Mail
	for _, x := range m.sent {
		if strings.Join(x.To, ",") == addr {
			out = append(out, x)
		}
	}
	return out
}

// finderChat is the fake chat platform that also knows people by e-mail,
// as Slack's users.lookupByEmail does.
type finderChat struct {
	*fakeChat
	people map[string]Actor
}

func (f finderChat) FindByEmail(_ context.Context, email string) (Actor, bool, error) {
	a, ok := f.people[strings.ToLower(email)]
	return a, ok, nil
}

var owner = Actor{Platform: "test", ID: "U-alice", Name: "Alice"}

// ownerHarness gives alice a mail, a chat user and a manager (bob, with a
// mail), and turns the owner notice on with p.
func ownerHarness(t *testing.T, p OwnerNotice) (*harness, *fakeMailer) {
	h := newHarness(t, nil)
	alice, _ := h.dir.User("alice")
	alice.Mail, alice.UPN = "alice@example.test", "alice@corp.example.test"
	bob, _ := h.dir.User("bob")
	bob.Mail = "bob@example.test"
	alice.Manager = bob.ID
	h.dir.Put(alice)
	h.dir.Put(bob)
	m := &fakeMailer{}
	h.svc.mailer = m
	h.svc.orgs["acme"].Policy.NotifyOwner = p
	h.svc.SetNotifier("test", finderChat{h.chat, map[string]Actor{"alice@corp.example.test": owner}})
	return h, m
}

var allOn = OwnerNotice{Chat: true, Email: true, Manager: true, Contact: "call the service desk at +1 555 0100"}

func (h *harness) dmsTo(a Actor) []string {
	var out []string
	for _, l := range strings.Split(h.chat.all(), "\n") {
		if strings.HasPrefix(l, "dm "+a.Key()+":") {
			out = append(out, l)
		}
	}
	return out
}

// A reset tells the owner by DM (found by the UPN, as the mail has no chat
// user) and by e-mail to the directory's mail, and the manager by e-mail:
// what, by whom, when, whom to call; never the password.
func TestOwnerToldAfterReset(t *testing.T) {
	h, m := ownerHarness(t, allOn)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	if r, err := h.svc.Approve(ctx, r.ID, approver); err != nil || r.State != StateDone {
		t.Fatalf("approve: %v", err)
	}
	pw, _, err := h.svc.RevealPassword(ctx, r.ID, tech)
	if err != nil {
		t.Fatal(err)
	}
	dms, mails, boss := h.dmsTo(owner), m.to("alice@example.test"), m.to("bob@example.test")
	if len(dms) != 1 || len(mails) != 1 || len(boss) != 1 {
		t.Fatalf("owner DMs %d, owner mails %d, manager mails %d; want one each", len(dms), len(mails), len(boss))
	}
	for _, want := range []string{"Your password was reset", "Acme account alice had its password reset",
		"by Tess Tech (U1), approved by Abe Approver (U2)", "at 2026-11-30 09:00 UTC", "call the service desk at +1 555 0100 now."} {
		if !strings.Contains(dms[0], want) || !strings.Contains(mails[0].Subject+" "+mails[0].Text, want) {
			t.Errorf("owner notice lacks %q:\nDM: %s\nmail: %+v", want, dms[0], mails[0])
		}
	}
	if !strings.Contains(boss[0].Text, "Alice Person (alice), who reports to you") {
		t.Errorf("manager mail: %+v", boss[0])
	}
	for _, x := range append(mails, boss...) {
		if strings.Contains(x.Subject+x.Text, pw.Reveal()) {
			t.Fatal("a notice holds the password")
		}
	}
	if strings.Contains(strings.Join(dms, "\n"), pw.Reveal()) {
		t.Fatal("the owner's DM holds the password")
	}
	e, ok := h.eventOf(r.ID, "owner.notified")
	if !ok || e.Outcome != audit.OK || e.Detail["chat"] != "sent" || e.Detail["email"] != "sent" ||
		e.Detail["manager_email"] != "sent" || e.Detail["manager_chat"] != "none" {
		t.Fatalf("owner.notified: %+v", e)
	}
	if got, _ := h.svc.Get(ctx, r.ID); !got.Steps.OwnerNotified || !got.Steps.Notified {
		t.Fatalf("steps after the notice: %+v", got.Steps)
	}
}

// A typed password is never in a notice either, and an unlock says the
// password was not changed.
func TestOwnerToldAfterUnlockAndTypedPassword(t *testing.T) {
	h, m := ownerHarness(t, OwnerNotice{Email: true})
	ctx := context.Background()
	const typed = "Typed-Passw0rd-Horse-9"
	r := h.mustSubmit("alice", typed)
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	h.dir.Lock("alice")
	u, err := h.submitUnlock("alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Approve(ctx, u.ID, approver); err != nil {
		t.Fatal(err)
	}
	mails := m.to("alice@example.test")
	if len(mails) != 2 || len(m.to("bob@example.test")) != 0 || len(h.dmsTo(owner)) != 0 {
		t.Fatalf("mails %d to the owner, %d to the manager, %d DMs; want 2, 0, 0", len(mails), len(m.to("bob@example.test")), len(h.dmsTo(owner)))
	}
	if strings.Contains(mails[0].Text+mails[1].Text, typed) {
		t.Fatal("a notice holds the typed password")
	}
	if mails[1].Subject != "Your account was unlocked" || !strings.Contains(mails[1].Text, "was unlocked; the password was not changed") ||
		!strings.Contains(mails[1].Text, "contact your IT service desk now.") {
		t.Fatalf("unlock notice: %+v", mails[1])
	}
	if e, _ := h.eventOf(u.ID, "owner.notified"); e.Detail["chat"] != "off" || e.Detail["email"] != "sent" {
		t.Fatalf("owner.notified: %+v", e)
	}
}

// A reset that fails tells nobody; one whose mail server is down is still
// done, with the failed e-mail in the trail.
func TestOwnerNoticeFailures(t *testing.T) {
	t.Run("reset failed", func(t *testing.T) {
		h, m := ownerHarness(t, allOn)
		ctx := context.Background()
		h.dir.FailNext("SetPassword", identity.E("test", identity.KindUnavailable, "The directory did not answer in time.", identity.ErrUnavailable))
		r := h.mustSubmit("alice", "")
		if r, _ = h.svc.Approve(ctx, r.ID, approver); r.State != StateFailed {
			t.Fatalf("state %s", r.State)
		}
		if len(m.sent) != 0 || len(h.dmsTo(owner)) != 0 {
			t.Fatal("the owner was told of a reset that did not happen")
		}
		if _, ok := h.eventOf(r.ID, "owner.notified"); ok {
			t.Fatal("owner.notified for a failed reset")
		}
	})
	t.Run("mailer down", func(t *testing.T) {
		h, m := ownerHarness(t, allOn)
		ctx := context.Background()
		m.fail = errors.New("dial tcp 127.0.0.1:587: connection refused")
		r := h.mustSubmit("alice", "")
		r, err := h.svc.Approve(ctx, r.ID, approver)
		if err != nil || r.State != StateDone {
			t.Fatalf("a mail server down failed the reset: %s %v", r.State, err)
		}
		e, _ := h.eventOf(r.ID, "owner.notified")
		if e.Outcome != audit.Failed || e.Detail["email"] != "failed" || e.Detail["chat"] != "sent" || e.Detail["manager_email"] != "failed" {
			t.Fatalf("owner.notified: %+v", e)
		}
		if _, ok := h.eventOf(r.ID, "reset.completed"); !ok {
			t.Fatal("reset not completed")
		}
	})
	t.Run("off", func(t *testing.T) {
		h, m := ownerHarness(t, OwnerNotice{Manager: true})
		r := h.mustSubmit("alice", "")
		if _, err := h.svc.Approve(context.Background(), r.ID, approver); err != nil {
			t.Fatal(err)
		}
		if _, ok := h.eventOf(r.ID, "owner.notified"); ok || len(m.sent) != 0 {
			t.Fatal("told the owner with notify_owner off")
		}
	})
}

// Once: the sweeper finishing a done request does not tell the owner again;
// a worker that died after starting the notice (its start saved, not its
// finish) is replaced by the sweeper once the lease has passed, and not
// while another worker may still be sending.
func TestOwnerNoticeOnceAcrossCrashes(t *testing.T) {
	h, m := ownerHarness(t, OwnerNotice{Email: true})
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	if _, err := h.svc.Approve(ctx, r.ID, approver); err != nil {
		t.Fatal(err)
	}
	got, _ := h.svc.Get(ctx, r.ID)
	got.Steps.Notified = false // the worker died before saving "notified"
	if err := h.svc.repo.save(ctx, got); err != nil {
		t.Fatal(err)
	}
	h.clock.add(3 * time.Minute)
	if n, _ := h.svc.Sweep(ctx); n != 1 || len(m.to("alice@example.test")) != 1 {
		t.Fatalf("sweep moved %d; owner mails %d, want 1", n, len(m.to("alice@example.test")))
	}

	got, _ = h.svc.Get(ctx, r.ID)
	got.Steps.OwnerNotified = false // died mid-send: started, not finished
	got.Steps.OwnerNoticeAt = h.clock.now()
	if err := h.svc.repo.save(ctx, got); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.svc.Sweep(ctx); n != 0 || len(m.to("alice@example.test")) != 1 {
		t.Fatal("the sweeper sent while another worker may still be sending")
	}
	h.clock.add(2 * time.Minute)
	if n, _ := h.svc.Sweep(ctx); n != 1 || len(m.to("alice@example.test")) != 2 {
		t.Fatalf("a notice a dead worker left half-sent was lost (%d mails)", len(m.to("alice@example.test")))
	}
	if n, _ := h.svc.Sweep(ctx); n != 0 || len(m.to("alice@example.test")) != 2 {
		t.Fatal("told the owner a third time")
	}
}
