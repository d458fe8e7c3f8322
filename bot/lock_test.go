package bot

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
)

var admin = Actor{Platform: "test", ID: "U9", Name: "Ada Admin"}

// mailChat is the harness's chat with users.lookupByEmail: addresses
// belong to the chat users named.
type mailChat struct {
	*fakeChat
	byMail map[string]Actor
}

func (f mailChat) FindByEmail(_ context.Context, email string) (Actor, bool, error) {
	if email == "boom@example.test" {
		return Actor{}, false, errors.New("chat down")
	}
	a, ok := f.byMail[strings.ToLower(email)]
	return a, ok, nil
}

func lockHarness(t *testing.T) *harness {
	h := newHarness(t, nil)
	h.svc.orgs["acme"].Admins = []string{"test:U9", "test:S-admins"}
	return h
}

func (h *harness) lastEvent(typ string) audit.Event {
	h.t.Helper()
	ev := h.events()
	for i := len(ev) - 1; i >= 0; i-- {
		if ev[i].Type == typ {
			return ev[i]
		}
	}
	h.t.Fatalf("no %s event in %v", typ, ev)
	return audit.Event{}
}

// The acceptance: a locked account is refused by the helpdesk flow with
// the directory untouched; an admin's release brings it back.
func TestLockRefusesHelpdeskUntilReleased(t *testing.T) {
	h := lockHarness(t)
	ctx := context.Background()
	got := h.svc.LockCommand(ctx, admin, "C-acme", "bob laptop stolen, HR case 12")
	if !strings.HasPrefix(got, "Locked bob on purpose.") {
		t.Fatalf("lock answer %q", got)
	}
	if u, _ := h.dir.User("bob"); !u.IntentionalLock || !u.Disabled {
		t.Fatalf("bob after the lock: %+v", u.Account)
	}
	e := h.lastEvent("intentional_lock.set")
	if e.Outcome != audit.OK || e.Actor != "test:U9" || e.Org != "acme" || e.Target != "bob" || e.TargetDN == "" ||
		e.Detail["reason"] != "laptop stolen, HR case 12" || e.Detail["mode"] != "disable" || e.Detail["grouped"] != "true" || e.Detail["disabled"] != "true" {
		t.Fatalf("set event %+v", e)
	}
	before := h.dir.Counts()
	_, err := h.submit("bob", "")
	var v *ValidationError
	if !errors.As(err, &v) || !strings.Contains(v.SafeMessage(), "locked on purpose") {
		t.Fatalf("helpdesk submit on a locked account: %v", err)
	}
	if c := h.dir.Counts(); c.Unlock != before.Unlock || c.SetPassword != before.SetPassword {
		t.Fatalf("the directory was written: %+v -> %+v", before, c)
	}
	if got := h.svc.LockCommand(ctx, admin, "C-acme", "release bob found it"); !strings.HasPrefix(got, "Released bob") {
		t.Fatalf("release answer %q", got)
	}
	if u, _ := h.dir.User("bob"); u.IntentionalLock || u.Disabled {
		t.Fatalf("bob after the release: %+v", u.Account)
	}
	e = h.lastEvent("intentional_lock.released")
	if e.Outcome != audit.OK || e.Detail["enabled"] != "true" || e.Detail["locked_by"] != "test:U9" || e.Detail["reason"] != "found it" || e.Detail["action"] != "release" {
		t.Fatalf("released event %+v", e)
	}
	if _, err := h.st.Get(ctx, lockKey("acme", "CN=bob,OU=Staff,DC=example,DC=test")); err == nil {
		t.Fatal("the lock record outlived the release")
	}
	h.mustSubmit("bob", "")
}

// An account disabled before the lock stays disabled; a lost record
// enables nothing; a repeated lock keeps the first record.
func TestReleaseEnablesOnlyWhatTheLockDisabled(t *testing.T) {
	h := lockHarness(t)
	ctx := context.Background()
	h.svc.LockCommand(ctx, admin, "C-acme", "off left the company")
	h.svc.LockCommand(ctx, admin, "C-acme", "release off")
	if u, _ := h.dir.User("off"); !u.Disabled || u.IntentionalLock {
		t.Fatalf("off after lock and release: %+v", u.Account)
	}
	if e := h.lastEvent("intentional_lock.released"); e.Detail["enabled"] != "false" {
		t.Fatalf("released %+v", e)
	}
	h.svc.LockCommand(ctx, admin, "C-acme", "bob gone")
	_ = h.st.Delete(ctx, lockKey("acme", "CN=bob,OU=Staff,DC=example,DC=test"))
	h.svc.LockCommand(ctx, admin, "C-acme", "release bob")
	if u, _ := h.dir.User("bob"); !u.Disabled || u.IntentionalLock {
		t.Fatalf("bob released without a record: %+v", u.Account)
	}
}

func TestLockGroupModeKeepsSignIn(t *testing.T) {
	h := lockHarness(t)
	h.svc.orgs["acme"].Policy.LockMode = identity.LockGroup
	h.svc.LockCommand(context.Background(), admin, "C-acme", "bob investigation")
	if u, _ := h.dir.User("bob"); !u.IntentionalLock || u.Disabled {
		t.Fatalf("group lock: %+v", u.Account)
	}
	if e := h.lastEvent("intentional_lock.set"); e.Detail["mode"] != "group" || e.Detail["disabled"] != "false" {
		t.Fatalf("set %+v", e)
	}
}

func TestLockRefusals(t *testing.T) {
	for _, c := range []struct {
		name, text, why, says string
		who                   Actor
		channel               string
	}{
		{"technician", "bob reason", "not_admin", "Only an organization's unlockbot admins", tech, "C-acme"},
		{"admin group", "bob reason", "", "Locked bob", Actor{Platform: "test", ID: "U7", Groups: []string{"S-admins"}}, "C-other"},
		{"domain admin", "dadmin reason", "privileged", "privileged account", admin, "C-acme"},
		{"adminCount", "acount reason", "privileged", "privileged account", admin, "C-acme"},
		{"outside", "outside reason", "not_found", "No account outside", admin, "C-acme"},
		{"unknown facts", "blind reason", "guard_unavailable", "did not tell us", admin, "C-acme"},
		{"deny group", "deny reason", "deny_group", "protects", admin, "C-acme"},
		{"already", "intent reason", "already_locked", "already locked on purpose", admin, "C-acme"},
		{"release unlocked", "release bob", "not_locked", "nothing to release", admin, "C-acme"},
		{"not found", "nobody reason", "not_found", "No account nobody in Acme", admin, "C-acme"},
		{"too long", strings.Repeat("x", maxQueryLen+1) + " reason", "invalid_account", "too long", admin, "C-acme"},
		{"longest name", strings.Repeat("x", maxQueryLen) + " reason", "not_found", "No account xxx", admin, "C-acme"}, // looked up, not refused as too long
		{"self", "alice reason", "self", "your own account", admin, "C-acme"},
		{"bot", "svc reason", "bot_account", "signs in with", admin, "C-acme"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := lockHarness(t)
			h.dir.Put(memory.User{Account: identity.Account{Username: "alice", Mail: "alice@example.test", InScope: true, ID: "CN=alice,OU=Staff,DC=example,DC=test"}})
			h.dir.Put(memory.User{Account: identity.Account{Username: "svc", InScope: true, ID: botDN}})
			h.svc.SetNotifier("test", mailChat{h.chat, map[string]Actor{"alice@example.test": admin}})
			h.svc.orgs["acme"].Directory = selfDir{h.dir}
			got := h.svc.LockCommand(context.Background(), c.who, c.channel, c.text)
			if !strings.Contains(got, c.says) {
				t.Fatalf("answer %q, want it to say %q", got, c.says)
			}
			if c.why == "" {
				return
			}
			if e := h.lastEvent("intentional_lock.refused"); e.Outcome != audit.Refused || e.Detail["why"] != c.why || e.Actor != c.who.Key() {
				t.Fatalf("refusal event %+v", e)
			}
			if n := h.dir.Counts(); n.LockOnPurpose+n.ReleaseLock != 0 {
				t.Fatalf("a refused command reached the directory: %+v", n)
			}
		})
	}
}

const botDN = "CN=svc,OU=Staff,DC=example,DC=test"

// selfDir is the memory directory that knows the bot's own account and
// hides its Locker behind a wrapper, as the wiring's timers do.
type selfDir struct{ *memory.Directory }

func (d selfDir) IsBotAccount(a identity.Account) bool { return a.ID == botDN }
func (d selfDir) Unwrap() identity.Directory           { return d.Directory }

func TestLockUsageAndOrgChoice(t *testing.T) {
	h := lockHarness(t)
	ctx := context.Background()
	for _, text := range []string{"", "  ", "bob", "release", "release  "} {
		if got := h.svc.LockCommand(ctx, admin, "C-acme", text); got != lockUsage {
			t.Fatalf("%q answered %q", text, got)
		}
	}
	if len(h.events()) != 0 {
		t.Fatal("usage wrote an audit record")
	}
	// Admin of the only org: any channel will do.
	if got := h.svc.LockCommand(ctx, admin, "C-elsewhere", "bob reason"); !strings.HasPrefix(got, "Locked") {
		t.Fatalf("only org: %q", got)
	}
	if got := h.svc.LockCommand(ctx, admin, "C-elsewhere", "RELEASE bob"); !strings.HasPrefix(got, "Released") {
		t.Fatalf("release: %q", got)
	}
	second := *h.svc.orgs["acme"]
	second.ID, second.Channels = "beta", []string{"test:C-beta"}
	h.svc.orgs["beta"], h.svc.orgList = &second, append(h.svc.orgList, &second)
	if got := h.svc.LockCommand(ctx, admin, "C-elsewhere", "bob reason"); !strings.Contains(got, "run /lock in a channel") {
		t.Fatalf("two orgs, no channel: %q", got)
	}
	if got := h.svc.LockCommand(ctx, admin, "C-beta", "bob reason"); !strings.HasPrefix(got, "Locked") {
		t.Fatalf("the channel's org: %q", got)
	}
	if e := h.lastEvent("intentional_lock.set"); e.Org != "beta" {
		t.Fatalf("locked in %q", e.Org)
	}
}

func TestLockDirectoryFailures(t *testing.T) {
	h := lockHarness(t)
	ctx := context.Background()
	down := identity.E("memory", identity.KindUnavailable, "The directory cannot be reached right now; try again in a minute.", identity.ErrUnavailable)
	h.dir.FailNext("LockOnPurpose", down)
	got := h.svc.LockCommand(ctx, admin, "C-acme", "bob reason")
	if got != "The lock was not completed: The directory cannot be reached right now; try again in a minute." {
		t.Fatalf("answer %q", got)
	}
	if e := h.lastEvent("intentional_lock.failed"); e.Outcome != audit.Failed || e.Detail["action"] != "lock" || !strings.Contains(e.Detail["message"], "cannot be reached") {
		t.Fatalf("failed %+v", e)
	}
	h.svc.LockCommand(ctx, admin, "C-acme", "bob reason")
	h.dir.FailNext("ReleaseLock", down)
	h.svc.LockCommand(ctx, admin, "C-acme", "release bob")
	if e := h.lastEvent("intentional_lock.failed"); e.Detail["action"] != "release" || e.Detail["disabled"] != "true" {
		t.Fatalf("failed release %+v", e)
	}
	if u, _ := h.dir.User("bob"); !u.IntentionalLock {
		t.Fatal("a failed release released")
	}
	h.dir.FailNext("Lookup", down)
	if got := h.svc.LockCommand(ctx, admin, "C-acme", "release bob"); !strings.Contains(got, "cannot be reached") {
		t.Fatalf("lookup down: %q", got)
	}
	h.svc.orgs["acme"].Directory = bare{h.dir}
	if got := h.svc.LockCommand(ctx, admin, "C-acme", "release bob"); !strings.Contains(got, "cannot lock accounts") {
		t.Fatalf("no locker: %q", got)
	}
	h.failAudit = "intentional_lock.released"
	h.svc.orgs["acme"].Directory = h.dir
	if got := h.svc.LockCommand(ctx, admin, "C-acme", "release bob"); !strings.Contains(got, "audit trail could not be written") {
		t.Fatalf("audit down: %q", got)
	}
}

type bare struct{ identity.Directory }
