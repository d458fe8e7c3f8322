package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// TestAuditDownRefusesResetsAndLeavesADAlone: the audit file stops taking
// writes (here: rotated onto a full disk, /dev/full) while a request waits
// for approval. The approval is not acted on, a new request is refused
// with a sentence that says what to do, and Samba shows no write at all.
func TestAuditDownRefusesResetsAndLeavesADAlone(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("needs /dev/full to stand for a full disk")
	}
	lab := ldaptest.AD(t)
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	e := newE2EAudit(t, lab, "", "", path, "")
	name, dn := newLabUser(t, lab)
	lab.Lock(t, dn)
	pwdVersion := lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd)
	lockout := lab.Attr(t, dn, "lockoutTime")

	code, body := e.post("/slack/interactions", requestForm(name, "", e.trigger()))
	if code != 200 || !strings.Contains(body, "clear") {
		t.Fatalf("submission while the audit works: %d %s", code, body)
	}
	id := requestIDIn(t, e.fake.Calls("chat.postMessage")[0].Body)

	// The disk fills: logrotate moved the file and the new one cannot grow.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/full", path); err != nil {
		t.Fatal(err)
	}
	e.click(uLead, chApprove, "unlockbot.approve", id)
	e.settle()

	code, body = e.post("/slack/interactions", requestForm(name, "", e.trigger()))
	if !strings.Contains(body, "audit trail could not be written") {
		t.Fatalf("a new request while the audit is down: %d %s", code, body)
	}
	if !lab.Locked(t, dn) {
		t.Fatal("the account was unlocked although its audit record could not be written")
	}
	if v := lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd); v != pwdVersion {
		t.Fatalf("unicodePwd version %d → %d: the password was written without an audit record", pwdVersion, v)
	}
	if got := lab.Attr(t, dn, "lockoutTime"); strings.Join(got, ",") != strings.Join(lockout, ",") {
		t.Fatalf("lockoutTime %v → %v", lockout, got)
	}
	told := false
	for _, c := range e.fake.Calls() {
		told = told || strings.Contains(c.Body, "audit trail could not be written")
	}
	if !told {
		t.Fatal("nobody in Slack was told the approval was not acted on")
	}
	// What was written before the outage still verifies.
	if recs := trailOf(t, path+".1"); len(typesFor(recs, id)) == 0 {
		t.Fatal("the request's first events are gone from the rotated file")
	}
}
