package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/identity/entra/entratest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

const (
	erinID  = "7d9e1f2a-3b4c-4d5e-8f60-718293a4b5c6"
	hybrID  = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
	entraOK = "Entra ID does not show or clear smart lockouts"
)

// newGraph starts the fake tenant with one cloud-only user, Erin.
func newGraph(t *testing.T) *entratest.Server {
	t.Helper()
	g := entratest.New()
	t.Cleanup(g.Close)
	t.Setenv("E2E_GRAPH_SECRET", entratest.Secret)
	g.AddUser(entratest.User{ID: erinID, UPN: "erin@contoso.test", Mail: "erin@contoso.test", MailNickname: "erin",
		DisplayName: "Erin Cloud", Enabled: true, PasswordChanged: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)})
	return g
}

// entraOrgYAML is the org "lab" on the fake tenant, with the same Slack
// roles as the AD lab org; onPrem is an on_premises block (or "").
func entraOrgYAML(g *entratest.Server, onPrem string) string {
	return fmt.Sprintf(`orgs:
  - id: lab
    name: Lab Corp
    directory:
      kind: entra
      entra:
        tenant_id: %q
        client_id: %q
        client_secret_env: E2E_GRAPH_SECRET
        authority_url: %q
        graph_url: %q%s
    slack: { channels: [%s], approval_channel: %s, technicians: [%s], approvers: [SLEADS] }
`, entratest.TenantID, entratest.ClientID, g.AuthorityURL(), g.GraphURL(), onPrem, chHelp, chApprove, uTech)
}

// TestSlackFlowWithEntraID: the whole Slack flow on a cloud-only Entra ID
// account, against the strict fake Graph and a real Redis.
func TestSlackFlowWithEntraID(t *testing.T) {
	g := newGraph(t)
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	e := newE2EOrgs(t, "", entraOrgYAML(g, ""), path, "")

	// Unlock only cannot be done in Entra ID: the form says what can.
	if _, body := e.post("/slack/interactions", requestForm("erin@contoso.test", "unlock", e.trigger())); !strings.Contains(body, entraOK) {
		t.Fatalf("unlock-only on Entra ID: %s", body)
	}
	code, body := e.post("/slack/interactions", requestForm("erin@contoso.test", "", e.trigger()))
	if code != 200 || !strings.Contains(body, "clear") {
		t.Fatalf("submission: %d %s", code, body)
	}
	card := e.fake.Calls("chat.postMessage")[0].Body
	if !strings.Contains(card, entraOK) {
		t.Fatalf("the approval card does not say what Entra ID can do: %s", card)
	}
	id := requestIDIn(t, card)
	e.click(uLead, chApprove, "unlockbot.approve", id)
	e.settle()

	u := g.User(erinID)
	if u.Password == "" || u.Revoked != 1 || u.ForceChange {
		t.Fatalf("in the tenant: password set %t, sessions revoked %d times, force change %t", u.Password != "", u.Revoked, u.ForceChange)
	}
	done := false
	for _, c := range e.fake.Calls("chat.postMessage") {
		done = done || (strings.Contains(c.Body, "Reset complete") && strings.Contains(c.Body, "signed out everywhere"))
	}
	if !done {
		t.Fatal("no confirmation saying the user was signed out everywhere")
	}
	e.click(uTech, "DTECH", "unlockbot.reveal", id)
	e.settle()
	revealed := false
	for _, c := range e.fake.Calls("views.open") {
		revealed = revealed || (strings.Contains(c.Body, "slack.password_window") && strings.Contains(c.Body, u.Password))
	}
	if !revealed {
		t.Fatal("the revealed password is not the one the tenant got")
	}
	recs := trailOf(t, path)
	want := []string{"request.submitted", "request.approved", "reset.started", "reset.write_started", "reset.password_set", "reset.verified",
		"ticket.created", "ticket.noted", "ticket.resolved", "reset.completed", "request.delivered", "password.revealed"}
	if got := typesFor(recs, id); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("events:\n got %q\nwant %q", got, want)
	}
	for _, r := range recs {
		if r.Type == "reset.verified" && (r.Detail["lock_visible"] != "false" || r.Detail["password_checked"] != "false") {
			t.Fatalf("the verification does not say what Graph could not prove: %v", r.Detail)
		}
		if r.RequestID == id && r.TargetDN != erinID {
			t.Fatalf("%s names %q, want the object id", r.Type, r.TargetDN)
		}
	}
	if strings.Contains(e.logs.String(), u.Password) || strings.Contains(e.logs.String(), entratest.Secret) {
		t.Fatal("the password or the client secret is in the log")
	}
}

// TestSlackFlowHybridResetsInAD: an account synced from AD is unlocked and
// reset in the real Samba AD, never in the tenant, and the card says so.
func TestSlackFlowHybridResetsInAD(t *testing.T) {
	lab := ldaptest.AD(t)
	g := newGraph(t)
	name, dn := newLabUser(t, lab)
	lab.Lock(t, dn)
	before := lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd)
	upn := name + "@contoso.test"
	g.AddUser(entratest.User{ID: hybrID, UPN: upn, Mail: upn, MailNickname: name, DisplayName: "Hybrid Person", Enabled: true,
		Synced: true, SamAccountName: name, OnPremDomain: "example.test", PasswordChanged: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)})
	t.Setenv("E2E_BIND_PASSWORD", lab.BotPassword)
	onPrem := fmt.Sprintf(`
      on_premises: { kind: ad, url: %q, ca_file: %q, bind_dn: %q, bind_password_env: E2E_BIND_PASSWORD, base_dn: %q }`,
		lab.URL, lab.CAFile, lab.BotDN, lab.UsersDN)
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	e := newE2EOrgs(t, "", entraOrgYAML(g, onPrem), path, "")

	if code, body := e.post("/slack/interactions", requestForm(upn, "", e.trigger())); code != 200 || !strings.Contains(body, "clear") {
		t.Fatalf("submission: %d %s", code, body)
	}
	card := e.fake.Calls("chat.postMessage")[0].Body
	if !strings.Contains(card, "Synced from on-premises AD") || strings.Contains(card, entraOK) {
		t.Fatalf("the card does not say the account is reset in AD: %s", card)
	}
	id := requestIDIn(t, card)
	e.click(uLead, chApprove, "unlockbot.approve", id)
	e.settle()
	if lab.Locked(t, dn) {
		t.Fatal("the account is still locked in AD")
	}
	if v := lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd); v != before+1 {
		t.Fatalf("AD password writes %d, want 1", v-before)
	}
	if n := g.Calls("PATCH /users/{id}"); n != 0 || g.User(hybrID).Revoked != 0 {
		t.Fatalf("the tenant was written (%d patches): a synced account belongs to AD", n)
	}
	for _, r := range trailOf(t, path) {
		if r.RequestID == id && r.Type == "reset.write_started" && r.TargetDN != dn {
			t.Fatalf("the write intent names %q, want the AD DN %q", r.TargetDN, dn)
		}
	}
}

// TestCheckEntraNamesWhatIsMissing: unlockbot check on an Entra ID org
// names each missing Graph permission and each deny group that does not
// exist, and fails; with everything granted it passes.
func TestCheckEntraNamesWhatIsMissing(t *testing.T) {
	g := newGraph(t)
	g.AddGroup(entratest.Group{ID: "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7", DisplayName: "VIPs"})
	org := strings.Replace(entraOrgYAML(g, ""), "      kind: entra\n",
		"      kind: entra\n      deny_groups: [3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7]\n", 1)
	cfg := filepath.Join(t.TempDir(), "entra.yaml")
	y := "audit: { file: " + filepath.Join(t.TempDir(), "audit.jsonl") + ", hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }] }\n" + pinned + "\n" + org
	if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func() (int, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"check", "--config", cfg}, nil, &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := check(); code != 0 || !strings.Contains(out, "✓ lab directory: ready") || !strings.Contains(out, "deny group 3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7: ok (exists (VIPs))") {
		t.Fatalf("check with everything granted (%d):\n%s", code, out)
	}
	g.SetPermission("GroupMember.Read.All", false)
	y = strings.Replace(y, "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7", "9e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7", 1)
	y = strings.Replace(y, "      kind: entra\n", "      kind: entra\n      intentional_lock_group: "+entraLockGrp+"\n", 1)
	os.WriteFile(cfg, []byte(y), 0o600)
	code, out := check()
	if code == 0 || !strings.Contains(out, "permission GroupMember.Read.All: MISSING") || !strings.Contains(out, "deny group 9e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7: MISSING") ||
		!strings.Contains(out, "intentional-lock group "+entraLockGrp+": MISSING") || !strings.Contains(out, "permission GroupMember.ReadWrite.All: MISSING") ||
		!strings.Contains(out, "permission User.EnableDisableAccount.All: MISSING") {
		t.Fatalf("check with permissions and groups missing (%d):\n%s", code, out)
	}
	if strings.Contains(out, entratest.Secret) {
		t.Fatal("check prints the client secret")
	}
}
