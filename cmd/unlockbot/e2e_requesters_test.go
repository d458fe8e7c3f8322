package main

import (
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// refusedAs reports whether the trail at path has a request.refused for
// the account dn with detail.why why.
func refusedAs(t *testing.T, path, dn, why string) bool {
	t.Helper()
	for _, r := range trailOf(t, path) {
		if r.Type == "request.refused" && r.TargetDN == dn && r.Detail["why"] == why {
			return true
		}
	}
	return false
}

// TestSlackAuthorizedRequesters is policy.authorized_requesters end to end
// on Slack against Samba: with SLEADS listed, the technician uTech (not
// listed) is refused for someone else's account, audited as
// not_authorized_requester, with AD untouched; uTech may ask for the
// account whose mail their Slack profile holds; uLead (listed through the
// group) may ask for anyone.
func TestSlackAuthorizedRequesters(t *testing.T) {
	lab := ldaptest.AD(t)
	t.Setenv("E2E_BIND_PASSWORD", lab.BotPassword)
	orgs := strings.Replace(labOrgYAML(lab, "E2E_BIND_PASSWORD"), "technicians: ["+uTech+"], approvers: [SLEADS] }",
		"technicians: ["+uTech+", SLEADS], approvers: [SLEADS], authorized_requesters: [SLEADS] }", 1)
	if !strings.Contains(orgs, "authorized_requesters") {
		t.Fatal("the org's slack block changed shape: fix the replacement")
	}
	e := newE2EOrgs(t, "", orgs, t.TempDir()+"/audit.jsonl", "")
	other, otherDN := newLabUser(t, lab)
	own, ownDN := newLabUser(t, lab)
	setAttrs(t, lab, ownDN, map[string]string{"mail": own + "@lab.example.test"})
	setAttrs(t, lab, otherDN, map[string]string{"mail": other + "@lab.example.test"})
	lab.Lock(t, otherDN)
	lab.Lock(t, ownDN)
	e.fake.SetEmail(own+"@lab.example.test", uTech)
	lockouts := lab.MetaVersion(t, otherDN, ldaptest.AttLockoutTime)

	approvals := func() (n int) {
		for _, c := range e.fake.Calls("chat.postMessage") {
			if c.Str("channel") == chApprove && strings.Contains(c.Body, "unlockbot.approve") {
				n++
			}
		}
		return n
	}
	before := approvals()
	if code, body := e.post("/slack/interactions", requestForm(other, "unlock", e.trigger())); code != 200 || !strings.Contains(body, "only for your own account") {
		t.Fatalf("unlisted technician for someone else: %d %s", code, body)
	}
	e.settle()
	if approvals() != before || lab.MetaVersion(t, otherDN, ldaptest.AttLockoutTime) != lockouts || !lab.Locked(t, otherDN) {
		t.Fatal("the refused request went on, or changed AD")
	}
	if !refusedAs(t, e.audit, otherDN, "not_authorized_requester") {
		t.Fatal("no request.refused why not_authorized_requester for the other account")
	}

	if code, body := e.post("/slack/interactions", requestForm(own, "unlock", e.trigger())); code != 200 || strings.Contains(body, `"errors"`) {
		t.Fatalf("unlisted technician for their own account: %d %s", code, body)
	}
	if approvals() != before+1 {
		t.Fatal("the technician's own request was not sent for approval")
	}
	if code, body := e.post("/slack/interactions", requestFormBy(uLead, other, "unlock", e.trigger())); code != 200 || strings.Contains(body, `"errors"`) {
		t.Fatalf("listed requester for someone else: %d %s", code, body)
	}
	if approvals() != before+2 {
		t.Fatal("the listed requester's request was not sent for approval")
	}
}
