package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
)

// staff is a person of the workspace who is no technician.
var staff = Actor{Platform: "test", ID: "U9", Name: "Sam Staff"}

// selfHarness: alice (locked) is Sam's account by UPN; self-service on in
// Acme, e-mail code offered, no approval for self-service.
func selfHarness(t *testing.T, mutate func(*Policy)) (*harness, *fakeMailer) {
	t.Helper()
	h, m := verifyHarness(t, VerifyPolicy{Offered: []VerifyMethod{VerifyEmailCode}})
	alice, _ := h.dir.User("alice")
	alice.UPN = "Sam@Example.test"
	h.dir.Put(alice)
	no := false
	p := &h.svc.orgs["acme"].Policy
	p.SelfService = SelfService{Enabled: true, RequireApproval: &no}
	if mutate != nil {
		mutate(p)
	}
	h.svc.SetNotifier("test", profileChat{h.chat, map[string]string{"U9": "sam@example.test", "U1": "sam@example.test"}})
	return h, m
}

func (h *harness) selfServe(who Actor, text string) (string, bool) {
	return h.svc.SelfService(context.Background(), who, "C-anywhere", text)
}

// The whole way: /unlock, the code to the directory's address, typed back
// by the person, and alice is unlocked with no approver; every record says
// self_service.
func TestSelfServiceUnlocksAfterTheCode(t *testing.T) {
	h, m := selfHarness(t, nil)
	reply, ok := h.selfServe(staff, "")
	if !ok || !strings.Contains(reply, "Check your direct messages") {
		t.Fatalf("reply %q, %t", reply, ok)
	}
	r := h.onlyRequest()
	if !r.SelfService || r.Mode != ModeUnlock || r.State != StateVerifying || r.Account.Username != "alice" || !r.Requester.Same(staff) {
		t.Fatalf("request %+v", r)
	}
	if !strings.Contains(h.chat.all(), "Send e-mail code") {
		t.Fatalf("no verify button sent privately: %s", h.chat.all())
	}
	a := h.svc.Click(context.Background(), Click{Action: ActionVerifyEmail, RequestID: r.ID, Actor: staff, Where: "D-sam"})
	if a.Form == nil || !strings.Contains(a.Form.Fields[0].Hint, "We e-mailed a code") {
		t.Fatalf("code form %+v", a.Form)
	}
	h.drain()
	mails := m.to("alice@example.test")
	if len(mails) != 1 {
		t.Fatalf("%d mails to the directory's address", len(mails))
	}
	code := codeRE.FindString(mails[0].Text)
	ans := h.svc.SubmitForm(context.Background(), FormReply{Form: FormVerifyCode, Actor: staff, Context: r.ID, Values: FormValues{FieldCode: code}})
	if len(ans.Errors) > 0 {
		t.Fatalf("code refused: %v", ans.Errors)
	}
	h.drain()
	if st := h.state(r.ID); st != StateDone {
		t.Fatalf("state %s, want done", st)
	}
	if u, _ := h.dir.User("alice"); u.Lock.Locked {
		t.Fatal("alice is still locked")
	}
	for _, e := range h.events() {
		if e.RequestID == r.ID && e.Detail["origin"] != originSelfService {
			t.Errorf("%s has origin %q", e.Type, e.Detail["origin"])
		}
	}
	if e := h.lastEvent("request.approved"); e.Actor != "policy:verified" {
		t.Fatalf("approved by %q", e.Actor)
	}
	// Locked again the same day: the per-account limit holds here too.
	alice, _ := h.dir.User("alice")
	alice.Lock.Locked = true
	h.dir.Put(alice)
	h.svc.orgs["acme"].Policy.MaxResetsPerAccountPerDay = 1
	if reply, _ := h.selfServe(staff, ""); !strings.Contains(reply, "the limit for Acme") {
		t.Fatalf("over the daily limit: %q", reply)
	}
}

// The code is required even when the org requires nothing, and an
// approver cannot skip it; with approval inherited the request waits for
// both.
func TestSelfServiceNeedsTheCodeAndTheApprover(t *testing.T) {
	h, _ := selfHarness(t, func(p *Policy) { p.SelfService.RequireApproval = nil })
	if _, ok := h.selfServe(staff, ""); !ok {
		t.Fatal("not handled")
	}
	r := h.onlyRequest()
	if r.State != StatePendingApproval || !strings.Contains(h.chat.all(), "An approver at Acme must also agree") {
		t.Fatalf("state %s; chat %s", r.State, h.chat.all())
	}
	h.svc.Click(context.Background(), Click{Action: ActionApprove, RequestID: r.ID, Actor: approver, Where: "C-approvals"})
	h.drain()
	if st := h.state(r.ID); st != StatePendingApproval {
		t.Fatalf("approved without the code: %s", st)
	}
	if got := methodList(missingVerification(h.svc.orgs["acme"], r)); got != "e-mail code" {
		t.Fatalf("missing %q", got)
	}
	yes := true
	h.svc.orgs["acme"].Policy.RequireApproval = false
	h.svc.orgs["acme"].Policy.SelfService.RequireApproval = &yes
	if !selfApproval(h.svc.orgs["acme"]) {
		t.Fatal("an explicit require_approval: true is not honoured")
	}
}

// Refusals: each a plain sentence, audited with its why and the origin,
// and no request left behind.
func TestSelfServiceRefusals(t *testing.T) {
	for _, c := range []struct {
		name, text, why, says string
		setup                 func(*harness)
	}{
		{"reset not allowed", "reset", "reset_not_allowed", "only unlock", nil},
		{"someone else's account", "bob", "not_own_account", "only your own account", nil},
		{"no account for the address", "", "no_account", "No account matches", func(h *harness) {
			h.svc.SetNotifier("test", profileChat{h.chat, map[string]string{"U9": "nobody@example.test"}})
		}},
		{"profile down", "", "profile_unavailable", "could not read your chat profile", func(h *harness) {
			h.svc.SetNotifier("test", profileChat{h.chat, map[string]string{}})
			h.dir.Put(memory.User{Account: identity.Account{Username: "dn", InScope: true}})
		}},
		{"platform without profiles", "", "no_profile_lookup", "does not work on test", func(h *harness) { h.svc.SetNotifier("test", h.chat) }},
		{"address matches a username, not the UPN", "", "no_account", "No account matches", func(h *harness) {
			h.svc.SetNotifier("test", profileChat{h.chat, map[string]string{"U9": "bob"}})
		}},
		{"intentional lock", "", "invalid_account", "on purpose", func(h *harness) { h.moveUPN("intent") }},
		{"protected account", "", "invalid_account", "privileged account", func(h *harness) { h.moveUPN("dadmin") }},
		{"disabled account", "", "invalid_account", "disabled", func(h *harness) { h.moveUPN("off") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, _ := selfHarness(t, nil)
			who := staff
			if c.why == "profile_unavailable" {
				who = Actor{Platform: "test", ID: "U-down"}
			}
			if c.setup != nil {
				c.setup(h)
			}
			reply, ok := h.selfServe(who, c.text)
			if !ok || !strings.Contains(reply, c.says) {
				t.Fatalf("reply %q, %t; want %q", reply, ok, c.says)
			}
			e := h.lastEvent("request.refused")
			if e.Detail["why"] != c.why || e.Detail["origin"] != originSelfService || e.Outcome != audit.Refused || e.Actor != who.Key() {
				t.Fatalf("refusal %+v", e)
			}
			for _, e := range h.events() {
				if e.Type == "request.submitted" {
					t.Fatalf("a refused self-service submitted request %s", e.RequestID)
				}
			}
		})
	}
}

// moveUPN gives Sam's address to another test user instead of alice.
func (h *harness) moveUPN(name string) {
	alice, _ := h.dir.User("alice")
	alice.UPN = ""
	h.dir.Put(alice)
	u, _ := h.dir.User(name)
	u.UPN = "sam@example.test"
	h.dir.Put(u)
}

// Who is handled: technicians get their form, orgs without self-service
// (or without the e-mail code, or of another workspace) offer none.
func TestSelfServiceWhoIsHandled(t *testing.T) {
	h, _ := selfHarness(t, nil)
	if _, ok := h.selfServe(tech, ""); ok {
		t.Fatal("a technician got self-service instead of the form")
	}
	if _, ok := h.selfServe(Actor{Platform: "test", ID: "U8", Groups: nil}, ""); !ok {
		t.Fatal("a member of the workspace is not handled")
	}
	if _, ok := h.selfServe(Actor{Platform: "other", ID: "U9"}, ""); ok {
		t.Fatal("someone of another platform is handled")
	}
	h.svc.orgs["acme"].Policy.Verify = VerifyPolicy{Offered: []VerifyMethod{VerifyPersonalData}}
	if _, ok := h.selfServe(staff, ""); ok {
		t.Fatal("self-service without the e-mail code is offered")
	}
	h.svc.orgs["acme"].Policy.Verify = VerifyPolicy{Required: []VerifyMethod{VerifyEmailCode}}
	h.svc.orgs["acme"].Policy.SelfService.Enabled = false
	if _, ok := h.selfServe(staff, ""); ok {
		t.Fatal("self-service is offered while disabled")
	}
}

// A reset, where allowed, generates the password (the person never types
// one) and the daily limit counts self-service like any request.
func TestSelfServiceReset(t *testing.T) {
	h, _ := selfHarness(t, func(p *Policy) { p.SelfService.AllowReset = true })
	if reply, _ := h.selfServe(staff, "Reset"); !strings.Contains(reply, "Check your direct messages") {
		t.Fatalf("reset: %q", reply)
	}
	r := h.onlyRequest()
	if r.Mode != ModeReset || !r.Generated || !r.Temporary || !strings.Contains(h.chat.all(), "To unlock and reset") {
		t.Fatalf("request %+v; chat %s", r, h.chat.all())
	}
}

// Two addresses naming one account are one match (typing the own UPN is
// fine); naming two accounts is ambiguous and refused.
func TestSelfServiceAmbiguous(t *testing.T) {
	h, _ := selfHarness(t, nil)
	alice, _ := h.dir.User("alice")
	alice.Mail = "sam.s@example.test"
	h.dir.Put(alice)
	h.svc.SetNotifier("test", multiProfile{h.chat, []string{"Sam@Example.test", "alice"}})
	if reply, _ := h.selfServe(staff, "Sam@Example.test"); !strings.Contains(reply, "Check your direct messages") {
		t.Fatalf("one account by two addresses: %q", reply)
	}
	h2, _ := selfHarness(t, nil)
	bob, _ := h2.dir.User("bob")
	bob.UPN = "bob@example.test"
	h2.dir.Put(bob)
	h2.svc.SetNotifier("test", multiProfile{h2.chat, []string{"Sam@Example.test", "bob@example.test"}})
	if reply, _ := h2.selfServe(staff, ""); !strings.Contains(reply, "more than one account") {
		t.Fatalf("two accounts: %q", reply)
	}
	if e := h2.lastEvent("request.refused"); e.Detail["why"] != "ambiguous_account" {
		t.Fatalf("refusal %+v", e)
	}
}

// multiProfile answers several addresses for everyone.
type multiProfile struct {
	*fakeChat
	addrs []string
}

func (p multiProfile) ProfileEmails(context.Context, Actor) ([]string, error) { return p.addrs, nil }

func (h *harness) onlyRequest() *Request {
	h.t.Helper()
	var ids []string
	for _, e := range h.events() {
		if e.Type == "request.submitted" {
			ids = append(ids, e.RequestID)
		}
	}
	if len(ids) != 1 {
		h.t.Fatalf("submitted requests %v; want one", ids)
	}
	r, err := h.svc.Get(context.Background(), ids[0])
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// byMail is a directory that also finds accounts by mail (as identity/ldap
// does): addrs maps an address to the username it names, or to "" for an
// address several accounts share.
type byMail struct {
	*memory.Directory
	addrs map[string]string
}

func (d byMail) LookupByMail(ctx context.Context, addr string) (identity.Account, error) {
	name, ok := d.addrs[strings.ToLower(addr)]
	switch {
	case !ok:
		return identity.Account{}, identity.E("test", identity.KindNotFound, "No such account.", identity.ErrNotFound)
	case name == "":
		return identity.Account{}, identity.E("test", identity.KindConflict, "Ambiguous.", identity.ErrAmbiguous)
	}
	return d.Lookup(ctx, name)
}

// A profile address that is the account's mail but not its UPN maps to it
// only where the directory can look up by mail; a mail two accounts share
// is refused as ambiguous.
func TestSelfServiceByMail(t *testing.T) {
	h, _ := selfHarness(t, nil)
	alice, _ := h.dir.User("alice")
	alice.UPN, alice.Mail = "alice@corp.example.test", "sam@example.test"
	h.dir.Put(alice)
	if reply, _ := h.selfServe(staff, ""); !strings.Contains(reply, "No account matches") {
		t.Fatalf("without a lookup by mail: %q", reply)
	}
	h.svc.orgs["acme"].Directory = byMail{h.dir, map[string]string{"sam@example.test": "alice"}}
	if reply, _ := h.selfServe(staff, ""); !strings.Contains(reply, "Check your direct messages") {
		t.Fatalf("with a lookup by mail: %q", reply)
	}
	if r := h.onlyRequest(); r.Account.Username != "alice" {
		t.Fatalf("request for %q", r.Account.Username)
	}
	h2, _ := selfHarness(t, nil)
	alice, _ = h2.dir.User("alice")
	alice.UPN = ""
	h2.dir.Put(alice)
	h2.svc.orgs["acme"].Directory = byMail{h2.dir, map[string]string{"sam@example.test": ""}}
	if reply, _ := h2.selfServe(staff, ""); !strings.Contains(reply, "more than one account") {
		t.Fatalf("a shared mail: %q", reply)
	}
}

// An address that is one account's UPN and another's mail names two
// people: refused, whichever the directory finds first.
func TestSelfServiceUPNAndMailOfTwo(t *testing.T) {
	h, _ := selfHarness(t, nil) // alice's UPN is Sam's address
	h.svc.orgs["acme"].Directory = byMail{h.dir, map[string]string{"sam@example.test": "bob"}}
	if reply, _ := h.selfServe(staff, ""); !strings.Contains(reply, "more than one account") {
		t.Fatalf("UPN of alice, mail of bob: %q", reply)
	}
	h.svc.orgs["acme"].Directory = byMail{h.dir, map[string]string{"sam@example.test": "alice"}}
	if reply, _ := h.selfServe(staff, ""); !strings.Contains(reply, "Check your direct messages") {
		t.Fatalf("UPN and mail of alice: %q", reply)
	}
}
