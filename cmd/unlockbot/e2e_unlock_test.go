package main

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// TestSlackUnlockOnlyWithFacts: a user locked for real by three bad
// passwords in Samba; /unlock opens the modal and then shows the account's
// lockout facts read from the DC; the technician chooses Unlock only; the
// approval card carries the facts; after approval the account is unlocked
// with its password untouched (unicodePwd's version and pwdLastSet are
// unchanged, and the old password binds).
func TestSlackUnlockOnlyWithFacts(t *testing.T) {
	lab := ldaptest.AD(t)
	e := newE2E(t, lab)
	name, dn := newLabUser(t, lab)
	lab.Lock(t, dn)
	pwdVersion := lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd)
	pwdLastSet := strings.Join(lab.Attr(t, dn, "pwdLastSet"), "")

	if code, body := e.post("/slack/commands", url.Values{"command": {"/unlock"}, "text": {name}, "user_id": {uTech}, "user_name": {"tess"},
		"channel_id": {chHelp}, "team_id": {slacktest.DefaultTeamID}, "api_app_id": {slacktest.DefaultAppID}, "trigger_id": {e.trigger()}}); code != 200 {
		t.Fatalf("/unlock: %d %s", code, body)
	}
	e.settle()
	ups := e.fake.Calls("views.update")
	if len(ups) != 1 || !strings.Contains(ups[0].Body, `*Bad passwords*\n3`) || !strings.Contains(ups[0].Body, `*Locked*\nsince `) {
		t.Fatalf("the modal does not show the lockout facts from the DC: %+v", ups)
	}

	if code, body := e.post("/slack/interactions", requestForm(name, "unlock", e.trigger())); code != 200 || !strings.Contains(body, "clear") {
		t.Fatalf("submission: %d %s", code, body)
	}
	posts := e.fake.Calls("chat.postMessage")
	if len(posts) == 0 || !strings.Contains(posts[0].Body, "Unlock request") || !strings.Contains(posts[0].Body, `*Bad passwords*\n3`) {
		t.Fatalf("approval card: %+v", posts)
	}
	id := requestIDIn(t, posts[0].Body)
	e.click(uLead, chApprove, "unlockbot.approve", id)
	e.settle()

	if lab.Locked(t, dn) {
		t.Fatal("still locked in AD")
	}
	if v := lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd); v != pwdVersion {
		t.Fatalf("unicodePwd version %d → %d: the password was written", pwdVersion, v)
	}
	if got := strings.Join(lab.Attr(t, dn, "pwdLastSet"), ""); got != pwdLastSet {
		t.Fatalf("pwdLastSet %s → %s", pwdLastSet, got)
	}
	if err := lab.Bind(dn, lab.UserPassword); err != nil {
		t.Fatalf("the user's own password no longer binds: %v", err)
	}
	trail, _ := os.ReadFile(e.audit)
	if !strings.Contains(string(trail), `"type":"unlock.completed"`) || strings.Contains(string(trail), `"type":"reset.password_set"`) {
		t.Fatal("the audit trail does not record an unlock only")
	}
	for _, c := range e.fake.Calls("chat.postMessage") {
		if strings.Contains(c.Body, "unlockbot.reveal") {
			t.Fatal("an unlock offered a password")
		}
	}
}
