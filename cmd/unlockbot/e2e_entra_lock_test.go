package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity/entra/entratest"
)

const (
	entraLockGrp = "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d"
	entraBossID  = "8e9f0a1b-2c3d-4e5f-8a6b-7c8d9e0f1a2b"
)

// TestSlackIntentionalLockOnEntraID is /lock on a cloud-only account of
// the fake tenant: the admin's lock puts Erin in the intentional-lock
// group, disables her and revokes her sessions; the technician's request
// for her is refused before any password is written; a Global
// Administrator cannot be locked; the release enables her again and takes
// her out of the group. Every step is in the audit trail.
func TestSlackIntentionalLockOnEntraID(t *testing.T) {
	g := newGraph(t)
	g.SetPermission("GroupMember.ReadWrite.All", true)
	g.SetPermission("User.EnableDisableAccount.All", true)
	g.AddGroup(entratest.Group{ID: entraLockGrp, DisplayName: "Held on purpose"})
	g.AddUser(entratest.User{ID: entraBossID, UPN: "boss@contoso.test", MailNickname: "boss", DisplayName: "Boss", Enabled: true})
	g.AddActiveRole(entratest.Role{Principal: entraBossID, Name: "Global Administrator"})
	org := strings.Replace(entraOrgYAML(g, ""), "      kind: entra\n", "      kind: entra\n      intentional_lock_group: "+entraLockGrp+"\n", 1)
	org = strings.Replace(org, "approvers: [SLEADS] }", "approvers: [SLEADS], admins: ["+uAdmin+"] }", 1)
	trail := filepath.Join(t.TempDir(), "audit.jsonl")
	e := newE2EOrgs(t, "", org, trail, "")

	if body := e.command(uTech, "/lock", "erin@contoso.test stolen laptop"); !strings.Contains(body, "Only an organization") {
		t.Fatalf("a technician's /lock: %s", body)
	}
	if body := e.command(uAdmin, "/lock", "boss@contoso.test stolen laptop"); !strings.Contains(body, "privileged account") {
		t.Fatalf("/lock of a Global Administrator: %s", body)
	}
	if body := e.command(uAdmin, "/lock", "erin@contoso.test stolen laptop"); !strings.Contains(body, "Locked erin@contoso.test on purpose") {
		t.Fatalf("admin /lock: %s", body)
	}
	u := g.User(erinID)
	if u.Enabled || u.Revoked != 1 || !slices.Contains(g.Members(entraLockGrp), erinID) {
		t.Fatalf("tenant after /lock: enabled %v, sessions revoked %d times, group %v", u.Enabled, u.Revoked, g.Members(entraLockGrp))
	}
	if g.User(entraBossID).Enabled == false || slices.Contains(g.Members(entraLockGrp), entraBossID) {
		t.Fatal("the refused lock of the admin changed the tenant")
	}

	if code, body := e.post("/slack/interactions", requestForm("erin@contoso.test", "", e.trigger())); code != 200 || !strings.Contains(body, "locked on purpose") {
		t.Fatalf("helpdesk request for a locked-on-purpose account: %d %s", code, body)
	}
	e.settle()
	if u := g.User(erinID); u.Password != "" || g.Calls("PATCH /users/{id}") != u.EnabledWrites {
		t.Fatalf("the refused request wrote to the tenant: password set %v, PATCHes %d, of accountEnabled %d",
			u.Password != "", g.Calls("PATCH /users/{id}"), u.EnabledWrites)
	}

	if body := e.command(uAdmin, "/lock", "release erin@contoso.test laptop found"); !strings.Contains(body, "Released erin@contoso.test") {
		t.Fatalf("admin release: %s", body)
	}
	if u := g.User(erinID); !u.Enabled || len(g.Members(entraLockGrp)) != 0 {
		t.Fatalf("tenant after release: enabled %v, group %v", u.Enabled, g.Members(entraLockGrp))
	}
	if code, body := e.post("/slack/interactions", requestForm("erin@contoso.test", "", e.trigger())); code != 200 || strings.Contains(body, `"errors"`) {
		t.Fatalf("request after the release: %d %s", code, body)
	}
	e.settle()
	if len(e.fake.Calls("chat.postMessage")) == 0 {
		t.Fatal("the request after the release was not sent for approval")
	}
	got, _ := os.ReadFile(trail)
	for _, want := range []string{`"type":"intentional_lock.refused"`, `"why":"privileged"`, `"type":"intentional_lock.set"`,
		`"type":"intentional_lock.released"`, `"message":"This account was locked on purpose`} {
		if !strings.Contains(string(got), want) {
			t.Fatalf("audit trail lacks %s", want)
		}
	}
	if strings.Contains(e.logs.String(), entratest.Secret) || strings.Contains(string(got), entratest.Secret) {
		t.Fatal("the client secret is in the log or the trail")
	}
}
