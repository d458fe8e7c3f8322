package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/audittest"
)

// testKeyring is the keyring every test config names (main_test.go).
func testKeyring(t testing.TB) *audit.Keyring {
	t.Helper()
	c := AuditConfig{HMACKeys: []AuditKey{{ID: "t1", KeyEnv: "UNLOCKBOT_TEST_AUDIT_KEY"}}}
	k, err := c.Keyring()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// trailOf verifies an audit file as unlockbot audit verify does, checks
// every record against the published schema and returns the records.
func trailOf(t testing.TB, path string) []audit.Record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := audittest.ValidateAll(b); err != nil {
		t.Fatal(err)
	}
	var recs []audit.Record
	if err := audit.NewVerifier(testKeyring(t)).Lines(path, bytes.NewReader(b), func(r audit.Record) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		t.Fatalf("the trail does not verify: %v", err)
	}
	return recs
}

// typesFor lists the event types of one request, in trail order.
func typesFor(recs []audit.Record, id string) []string {
	var out []string
	for _, r := range recs {
		if r.RequestID == id {
			out = append(out, r.Type)
		}
	}
	return out
}

// assertRequestEvents checks what the events of a Slack request say: who
// asked and approved (immutable id and handle), the account as typed and
// resolved, the ticket and the thread's link once they exist.
func assertRequestEvents(t *testing.T, recs []audit.Record, id, dn string) {
	t.Helper()
	var sawLink bool
	for _, r := range recs {
		if r.RequestID != id {
			continue
		}
		if r.Org != "lab" || r.Platform != "slack" || r.Target == "" {
			t.Errorf("%s: org %q platform %q target %q", r.Type, r.Org, r.Platform, r.Target)
		}
		if r.Type != "request.submitted" && r.TargetDN != dn {
			t.Errorf("%s: target_dn %q, want %q", r.Type, r.TargetDN, dn)
		}
		sawLink = sawLink || r.Link != ""
		if r.Type == "reset.write_started" && !strings.HasPrefix(r.Link, "https://app.slack.com/client/") {
			t.Errorf("the write intent does not link the Slack thread: %q", r.Link)
		}
		switch r.Type {
		case "request.submitted":
			if !strings.HasSuffix(r.Actor, ":"+uTech) || r.ActorName != "tess" {
				t.Errorf("submitted by %q (%q), want the technician's id and handle", r.Actor, r.ActorName)
			}
		case "request.approved":
			if !strings.HasSuffix(r.Actor, ":"+uLead) || r.Detail["wait_ms"] == "" {
				t.Errorf("approved by %q, detail %v: want the approver and the wait", r.Actor, r.Detail)
			}
		case "ticket.noted", "ticket.resolved", "reset.completed":
			if r.Ticket == "" {
				t.Errorf("%s does not name the ticket", r.Type)
			}
		}
	}
	if !sawLink {
		t.Error("no event links the chat thread")
	}
}

// auditCLI runs unlockbot audit with a config naming file and the test key.
func auditCLI(t *testing.T, file string, args ...string) (int, string) {
	t.Helper()
	return auditCLIWith(t, "", "", file, args...)
}

// auditCLIWith is auditCLI with more top-level config (head) and more keys
// of the audit block (more, starting with a comma).
func auditCLIWith(t *testing.T, head, more, file string, args ...string) (int, string) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "audit.yaml")
	y := fmt.Sprintf("%s\naudit: { file: %q, hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }]%s }\norgs:\n  - id: x\n    directory: { kind: demo, dev_mode: true }\n", head, file, more)
	if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), append(append([]string{"audit"}, args[0], "--config", cfg), args[1:]...), nil, &out, &errOut)
	return code, out.String() + errOut.String()
}
