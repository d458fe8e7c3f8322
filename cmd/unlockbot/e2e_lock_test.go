package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

const uAdmin = "UADMIN"

// TestSlackIntentionalLock is the acceptance of /lock against Samba AD: an
// admin locks a user locked out for real; the helpdesk's /unlock is
// refused and AD is left exactly as it was (lockoutTime and unicodePwd
// versions unchanged); the admin's release re-enables the account and a
// new request goes through. Both commands are in the audit trail.
func TestSlackIntentionalLock(t *testing.T) {
	lab := ldaptest.AD(t)
	orgs := strings.Replace(labOrgYAML(lab, "E2E_BIND_PASSWORD"), "approvers: [SLEADS] }", "approvers: [SLEADS], admins: ["+uAdmin+"] }", 1)
	trail := filepath.Join(t.TempDir(), "audit.jsonl")
	t.Setenv("E2E_BIND_PASSWORD", lab.BotPassword)
	e := newE2EOrgs(t, "", orgs, trail, "")
	name, dn := newLabUser(t, lab)
	lab.Lock(t, dn)
	command := func(who, cmd, text string) string {
		t.Helper()
		code, body := e.post("/slack/commands", url.Values{"command": {cmd}, "text": {text}, "user_id": {who}, "user_name": {"x"},
			"channel_id": {chHelp}, "team_id": {slacktest.DefaultTeamID}, "api_app_id": {slacktest.DefaultAppID}, "trigger_id": {e.trigger()}})
		if code != 200 {
			t.Fatalf("%s %s: %d %s", cmd, text, code, body)
		}
		return body
	}
	if body := command(uTech, "/lock", name+" stolen laptop"); !strings.Contains(body, "Only an organization") {
		t.Fatalf("a technician's /lock: %s", body)
	}
	if body := command(uAdmin, "/lock", name+" stolen laptop"); !strings.Contains(body, "Locked "+name+" on purpose") {
		t.Fatalf("admin /lock: %s", body)
	}
	if !lab.IsMember(t, lab.IntentionalLockDN, dn) || !lab.Disabled(t, dn) {
		t.Fatal("AD does not show the lock")
	}
	lockouts, pwd := lab.MetaVersion(t, dn, ldaptest.AttLockoutTime), lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd)
	if code, body := e.post("/slack/interactions", requestForm(name, "unlock", e.trigger())); code != 200 || !strings.Contains(body, "locked on purpose") {
		t.Fatalf("helpdesk unlock of a locked-on-purpose account: %d %s", code, body)
	}
	e.settle()
	if l, p := lab.MetaVersion(t, dn, ldaptest.AttLockoutTime), lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd); l != lockouts || p != pwd {
		t.Fatalf("the refused request changed AD: lockoutTime version %d → %d, unicodePwd %d → %d", lockouts, l, pwd, p)
	}
	if body := command(uAdmin, "/lock", "release "+name+" laptop found"); !strings.Contains(body, "Released "+name) {
		t.Fatalf("admin release: %s", body)
	}
	if lab.IsMember(t, lab.IntentionalLockDN, dn) || lab.Disabled(t, dn) {
		t.Fatal("AD still shows the lock after the release")
	}
	// Samba stops reporting the lockout of a disabled account, so the new
	// request is an unlock and reset.
	if code, body := e.post("/slack/interactions", requestForm(name, "", e.trigger())); code != 200 || strings.Contains(body, `"errors"`) {
		t.Fatalf("request after the release: %d %s", code, body)
	}
	e.settle()
	if len(e.fake.Calls("chat.postMessage")) == 0 {
		t.Fatal("the request after the release was not sent for approval")
	}
	got, _ := os.ReadFile(trail)
	for _, want := range []string{`"type":"intentional_lock.refused"`, `"type":"intentional_lock.set"`, `"type":"intentional_lock.released"`, `"message":"This account was locked on purpose`} {
		if !strings.Contains(string(got), want) {
			t.Fatalf("audit trail lacks %s", want)
		}
	}
}
