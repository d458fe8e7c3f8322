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

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/jsonl"
)

// writeTrail writes n events with the test key, the file rotated (renamed
// to .1) after the first half, and returns both paths oldest first.
func writeTrail(t *testing.T, n int) (old, cur string) {
	t.Helper()
	cur = filepath.Join(t.TempDir(), "audit.jsonl")
	s, err := jsonl.Open(cur, testKeyring(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < n; i++ {
		if i == n/2 {
			os.Rename(cur, cur+".1")
		}
		e := audit.Event{Time: time.Now().UTC(), Type: "request.submitted", RequestID: fmt.Sprintf("r%d", i), Org: "acme",
			Actor: "slack:T1:U1", ActorName: "tess", Target: fmt.Sprintf("user%d", i), Outcome: audit.OK}
		if err := s.Write(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	return cur + ".1", cur
}

func TestAuditVerifyAcrossRotation(t *testing.T) {
	old, cur := writeTrail(t, 6)
	code, out := auditCLI(t, old, "verify", "--file", old, "--file", cur)
	if code != 0 || !strings.Contains(out, "OK: 7 records, seq 1 to 7") {
		t.Fatalf("verify (%d): %s", code, out)
	}
	// The newer file alone verifies and says what it continues.
	code, out = auditCLI(t, cur, "verify")
	if code != 0 || !strings.Contains(out, "continues an earlier one (after seq 3") {
		t.Fatalf("verify of the newer file (%d): %s", code, out)
	}
	// Given in the wrong order, the link is checked and fails.
	if code, out = auditCLI(t, cur, "verify", "--file", cur, "--file", old); code == 0 {
		t.Fatalf("files out of order verified: %s", out)
	}
}

// TestAuditVerifyFindsEachTampering: one test per kind of tampering, each
// failing at the record touched.
func TestAuditVerifyFindsEachTampering(t *testing.T) {
	cases := map[string]struct {
		edit func(lines [][]byte) [][]byte
		want string
	}{
		"edited": {func(l [][]byte) [][]byte {
			l[1] = bytes.Replace(l[1], []byte(`"user1"`), []byte(`"admin"`), 1)
			return l
		}, "line 2 (seq 2): the MAC does not match"},
		"deleted": {func(l [][]byte) [][]byte { return append(l[:1:1], l[2:]...) }, "line 2 (seq 3): seq 3 follows seq 1"},
		"inserted": {func(l [][]byte) [][]byte {
			fake := bytes.Replace(l[1], []byte(`"r1"`), []byte(`"r9"`), 1)
			return append(l[:2:2], append([][]byte{fake}, l[2:]...)...)
		}, "line 3 (seq 2): the MAC does not match"},
		"reordered": {func(l [][]byte) [][]byte {
			l[1], l[2] = l[2], l[1]
			return l
		}, "line 2 (seq 3)"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			old, _ := writeTrail(t, 8)
			b, _ := os.ReadFile(old)
			lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
			os.WriteFile(old, append(bytes.Join(c.edit(lines), []byte("\n")), '\n'), 0o600)
			code, out := auditCLI(t, old, "verify")
			if code == 0 || !strings.Contains(out, "BROKEN") || !strings.Contains(out, c.want) {
				t.Fatalf("verify (%d):\n%s\nwant %q", code, out, c.want)
			}
		})
	}
}

func TestAuditVerifyNeedsTheKey(t *testing.T) {
	old, _ := writeTrail(t, 2)
	t.Setenv("UNLOCKBOT_TEST_AUDIT_KEY", "dGhpcyBpcyBhbm90aGVyIGtleSBvZiB0aGlydHkgdHdvIGJ5dGVz")
	code, out := auditCLI(t, old, "verify")
	if code == 0 || !strings.Contains(out, "MAC does not match") {
		t.Fatalf("verified with another key (%d): %s", code, out)
	}
}

// TestAuditShowFilters: one row per request, filtered by org, age and
// account (as typed or by its DN's first value); refusals without a
// request get their own row.
func TestAuditShowFilters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	s, err := jsonl.Open(path, testKeyring(t))
	if err != nil {
		t.Fatal(err)
	}
	old, now := time.Now().Add(-72*time.Hour).UTC(), time.Now().UTC()
	for _, e := range []audit.Event{
		{Time: old, Type: "request.submitted", RequestID: "rold", Org: "acme", Actor: "slack:T1:U1", ActorName: "tess", Target: "alice", Outcome: audit.OK},
		{Time: old, Type: "request.denied", RequestID: "rold", Org: "acme", Actor: "slack:T1:U2", ActorName: "lee", Outcome: audit.OK},
		{Time: now, Type: "request.submitted", RequestID: "rnew", Org: "acme", Actor: "slack:T1:U1", ActorName: "tess", Target: "bob", Outcome: audit.OK},
		{Time: now, Type: "request.approved", RequestID: "rnew", Org: "acme", Actor: "slack:T1:U2", ActorName: "lee", Outcome: audit.OK},
		{Time: now, Type: "reset.completed", RequestID: "rnew", Org: "acme", TargetDN: "CN=Bob Jones,OU=Staff,DC=acme", Ticket: "1009", Outcome: audit.OK},
		{Time: now, Type: "request.refused", Org: "initech", Actor: "teams:t:9", ActorName: "mallory", Target: "admin", Outcome: audit.Refused, Detail: map[string]string{"why": "not_technician"}},
	} {
		if err := s.Write(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	rows := func(args ...string) []string {
		t.Helper()
		code, out := auditCLI(t, path, append([]string{"show"}, args...)...)
		if code != 0 {
			t.Fatalf("show %v (%d): %s", args, code, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		return lines[1:] // the header
	}
	if got := rows(); len(got) != 3 {
		t.Fatalf("all rows: %q", got)
	}
	if got := rows("--since", "24h"); len(got) != 2 || !strings.Contains(got[0], "done: reset") || !strings.Contains(got[0], "1009") || !strings.Contains(got[0], "lee") {
		t.Fatalf("last 24h: %q", got)
	}
	if got := rows("--org", "initech"); len(got) != 1 || !strings.Contains(got[0], "mallory") || !strings.Contains(got[0], "refused not_technician") {
		t.Fatalf("org initech: %q", got)
	}
	if got := rows("--account", "Bob Jones"); len(got) != 1 || !strings.Contains(got[0], "bob") {
		t.Fatalf("account by its DN's name: %q", got)
	}
	if got := rows("--account", "alice"); len(got) != 1 || !strings.Contains(got[0], "denied") {
		t.Fatalf("account alice: %q", got)
	}
	// A broken trail still shows what verified, and says where it broke.
	b, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.Replace(b, []byte(`"bob"`), []byte(`"eve"`), 1), 0o600)
	code, out := auditCLI(t, path, "show")
	if code == 0 || !strings.Contains(out, "the trail is broken at") || !strings.Contains(out, "alice") {
		t.Fatalf("show on a broken trail (%d): %s", code, out)
	}
}
