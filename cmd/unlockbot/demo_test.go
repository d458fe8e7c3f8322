package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/bot/store/storetest"
)

// A full demo run on real Redis: the password reaches the requester once,
// in the private reveal, and nowhere else: not the log (at debug level),
// not the audit trail, not any Redis value, not any other transcript line.
func TestDemoNeverLeaksThePassword(t *testing.T) {
	st := storetest.NewRedisStore(t)
	var out, logs, audit bytes.Buffer
	res, err := runDemo(context.Background(), demoEnv{Out: &out, Log: &logs, Audit: &audit, Store: st})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	pw := res.Revealed.Reveal()
	if len(pw) < 12 {
		t.Fatalf("no password revealed")
	}
	u, _ := res.Dir.User("alice")
	if u.Password != pw || u.Lock.Locked {
		t.Fatal("the revealed password is not alice's new password, or alice is still locked")
	}
	if logs.Len() == 0 || audit.Len() == 0 {
		t.Fatal("nothing captured: the scan would prove nothing")
	}
	if strings.Contains(logs.String(), pw) {
		t.Error("password in the log")
	}
	if strings.Contains(audit.String(), pw) {
		t.Error("password in the audit trail")
	}
	var shown int
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, pw) {
			shown++
			if !strings.Contains(line, "(private, shown once)") {
				t.Errorf("password on a transcript line that is not the private reveal: %q", line)
			}
		}
	}
	if shown != 1 {
		t.Errorf("password shown %d times in the transcript, want exactly once", shown)
	}
	if dump := storetest.RawDump(t, st.Prefix()); strings.Contains(dump, pw) {
		t.Error("password in a Redis value")
	} else if !strings.Contains(dump, "pending_approval") && !strings.Contains(dump, `"state":"done"`) {
		t.Errorf("the Redis dump holds no request: the scan would prove nothing:\n%.500s", dump)
	}
	for _, want := range []string{"refused in the form", "two-person rule", "Reset complete", "nothing happens", "shown only once"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("transcript lacks %q", want)
		}
	}
}
