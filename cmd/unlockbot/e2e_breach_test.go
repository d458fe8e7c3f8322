package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/bot/pwned/pwnedtest"
)

// TestSlackBreachedPasswordRefusedInTheModal: the production wiring with
// policy.hibp pointing at the strict fake range API. A typed password the
// fake lists is refused beside the password field, the modal stays open
// and offers a generated one; a common one is refused before anything is
// sent; a generated one goes through. Only the 5-character prefix left the
// process, and no log or audit line holds the password or its hash.
func TestSlackBreachedPasswordRefusedInTheModal(t *testing.T) {
	fake := pwnedtest.New(t)
	const breached = "Velvet-Harbor-Lamp-81"
	fake.Breach(breached, 4711)
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	org := fmt.Sprintf(`orgs:
  - id: lab
    name: Lab Corp
    directory: { kind: demo, dev_mode: true }
    policy: { hibp: { enabled: true, url: %q } }
    slack: { channels: [%s], approval_channel: %s, technicians: [%s], approvers: [SLEADS] }
`, fake.URL(), chHelp, chApprove, uTech)
	e := newE2EOrgs(t, "", org, audit, "")

	submit := func(pw string) string {
		t.Helper()
		form := requestForm("bob", "", e.trigger())
		payload := strings.Replace(form.Get("payload"), `"type":"plain_text_input","value":""`, `"type":"plain_text_input","value":"`+pw+`"`, 1)
		if payload == form.Get("payload") && pw != "" {
			t.Fatal("the form has no empty password field to fill")
		}
		form.Set("payload", payload)
		code, body := e.post("/slack/interactions", form)
		if code != 200 {
			t.Fatalf("submission: %d %s", code, body)
		}
		return body
	}

	body := submit(breached)
	if !strings.Contains(body, `"response_action":"errors"`) || !strings.Contains(body, `"password":"That password has appeared in a data breach; choose another, or leave the field empty to generate one."`) {
		t.Fatalf("breached password: the modal does not show the refusal beside the field: %s", body)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d range requests, want 1", len(reqs))
	}
	hash := pwnedtest.Hash(breached)
	if got := regexp.MustCompile(`^GET /range/([0-9A-F]+) `).FindStringSubmatch(reqs[0]); got == nil || got[1] != hash[:5] {
		t.Fatalf("the request line is not GET /range/<5 hex>: %q", strings.SplitN(reqs[0], "\r\n", 2)[0])
	}
	if strings.Contains(strings.ToUpper(reqs[0]), hash[5:11]) || strings.Contains(reqs[0], breached) {
		t.Fatal("more than the prefix left the process")
	}

	body = submit("Summer2024!!")
	if !strings.Contains(body, "That password is on a list of common passwords; choose another, or leave the field empty to generate one.") {
		t.Fatalf("common password: %s", body)
	}
	if n := len(fake.Requests()); n != 1 {
		t.Fatalf("the common password was sent to the range API (%d requests)", n)
	}

	body = submit("")
	if !strings.Contains(body, "clear") {
		t.Fatalf("generated password: the modal did not close: %s", body)
	}
	e.settle()
	if n := len(fake.Requests()); n != 1 {
		t.Fatalf("the generated password was sent to the range API (%d requests)", n)
	}

	trail, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	for _, why := range []string{`"why":"password_breached"`, `"why":"password_common"`, `"type":"request.submitted"`} {
		if !strings.Contains(string(trail), why) {
			t.Errorf("audit lacks %s", why)
		}
	}
	for name, out := range map[string]string{"log": e.logs.String(), "audit": string(trail)} {
		if strings.Contains(out, breached) || strings.Contains(out, "Summer2024!!") || strings.Contains(strings.ToUpper(out), hash[5:13]) {
			t.Errorf("%s holds a typed password or its hash", name)
		}
	}
}
