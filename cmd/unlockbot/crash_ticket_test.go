package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// TestKilledReplicaMakesOneTicket: a first try makes its ticket with no
// intent saved before it (the ticket is asked for by the request's key),
// so the worst moment is right after the create: the replica running the
// approved reset is killed with SIGKILL there, before it records the
// ticket. The replica that takes over when the lease runs out finds the
// ticket by the request's key instead of making another: the local ticket
// system in Redis holds one ticket, noted and resolved, and AD one
// password write.
func TestKilledReplicaMakesOneTicket(t *testing.T) {
	lab := ldaptest.AD(t)
	redisURL := storetest.RedisURL(t)
	name, dn := newLabUser(t, lab)
	lab.Lock(t, dn)
	pwdBefore := lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd)

	bin := filepath.Join(t.TempDir(), "unlockbot-crashtest")
	if out, err := exec.Command("go", "build", "-tags", "unlockbot_crashtest", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	fake := slacktest.New(t, e2eToken)
	fake.SetGroup("SLEADS", uLead)
	key := make([]byte, 32)
	rand.Read(key)
	shared := crashShared{lab: lab, redisURL: redisURL, prefix: "crash:" + rand.Text() + ":", bin: bin, fake: fake,
		sealKey: base64.StdEncoding.EncodeToString(key)}
	// A replica taking over finds the ticket made and makes none: only
	// the first one's create reaches the hold.
	all := []*replica{shared.start(t, "ticket"), shared.start(t, "ticket")}
	front := all[0]
	if code, body := signedPost(t, front.url+"/slack/interactions", requestForm(name, "", "T1.crashticket")); code != 200 || !strings.Contains(body, "clear") {
		t.Fatalf("submission: %d %s", code, body)
	}
	posts := fake.Calls("chat.postMessage")
	if len(posts) != 1 {
		t.Fatalf("%d approval posts", len(posts))
	}
	id := requestIDIn(t, posts[0].Body)
	if code, _ := signedPost(t, front.url+"/slack/interactions", clickPayload(uLead, chApprove, "unlockbot.approve", id)); code != 200 {
		t.Fatal("approve click refused")
	}
	doomed, survivors := heldReplica(t, all, "UNLOCKBOT_HELD ticket")
	tickets := func() []string {
		keys, err := redisClient(t, redisURL).Keys(context.Background(), shared.prefix+"psa:lab:ticket:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	if n := len(tickets()); n != 1 {
		t.Fatalf("the replica is held after its create, but the ticket system holds %d tickets", n)
	}
	doomed.kill(t)

	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		done := false
		for _, c := range fake.Calls("chat.update") {
			done = done || strings.Contains(c.Body, "Done:")
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replica finished the reset within 60 s; log:\n%s", survivors[0].log())
		}
	}
	if n := len(tickets()); n != 1 {
		t.Errorf("%d tickets after the takeover, want the one the killed replica made", n)
	}
	if got := lab.MetaVersion(t, dn, ldaptest.AttUnicodePwd); got != pwdBefore+1 {
		t.Errorf("unicodePwd written %d times, want once", got-pwdBefore)
	}
	var trail strings.Builder
	for _, r := range append(survivors, doomed) {
		b, _ := os.ReadFile(r.audit)
		trail.Write(b)
	}
	created := 0
	for _, l := range strings.Split(trail.String(), "\n") {
		if strings.Contains(l, `"type":"ticket.created"`) {
			created++
			if !strings.Contains(l, `"recovered":"true"`) {
				t.Errorf("the ticket is recorded as made by the replica that took over, not found:\n%s", l)
			}
		}
	}
	if created != 1 || strings.Count(trail.String(), `"type":"ticket.resolved"`) != 1 || strings.Count(trail.String(), `"type":"reset.completed"`) != 1 {
		t.Errorf("trails: %d ticket.created, want 1 (recovered), and one resolution and completion:\n%s", created, trail.String())
	}
}
