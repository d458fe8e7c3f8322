package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
	"github.com/unlockbot/unlockbot/bot/store/storetest"
	"github.com/unlockbot/unlockbot/identity/ldap/ldaptest"
)

// TestTeamsSecondReplicaUpdatesTheCard: the conversation references live
// in Redis, not in a process. Two `unlockbot serve` processes share Redis
// and the Samba DC; the first takes the command and the form and posts
// the approval card, then is killed with SIGKILL; the approval reaches
// the second, which has never seen the conversation: it resets the
// account, updates the first one's card, confirms in its thread and
// tells the technician in their personal chat.
func TestTeamsSecondReplicaUpdatesTheCard(t *testing.T) {
	lab := ldaptest.AD(t)
	redisURL := storetest.RedisURL(t)
	name, dn := newLabUser(t, lab)
	lab.Lock(t, dn)
	bin := filepath.Join(t.TempDir(), "unlockbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	fake, env := newTeamsFake(t, teamstest.Options{})
	key := make([]byte, 32)
	rand.Read(key)
	prefix, seal := "teams-replica:"+rand.Text()+":", base64.StdEncoding.EncodeToString(key)
	start := func() *replica {
		return startReplica(t, bin, func(port int, audit string) string {
			return fmt.Sprintf("listen: \"127.0.0.1:%d\"\nredis_url: %q\nredis_prefix: %q\nseal_key_env: R_SEAL_KEY\nlog_level: info\naudit: { file: %q, hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }] }\n%s\n",
				port, redisURL, prefix, audit, teamsPinned) + teamsOrgYAML(lab, "R_BIND_PASSWORD")
		}, append(env, "R_SEAL_KEY="+seal, "R_BIND_PASSWORD="+lab.BotPassword)...)
	}
	first, second := start(), start()
	to := func(r *replica) func(*schema.Activity) (int, []byte) {
		return func(act *schema.Activity) (int, []byte) { return sendActivity(t, fake, r.url, act) }
	}
	chat := fake.Personal(tmTech)

	if code, _ := to(first)(fake.Message(tmTech, chat, "unlock "+name)); code != 200 {
		t.Fatalf("unlock: %d", code)
	}
	form := waitCard(t, fake, chat.ID, `"Input.`)
	// "unlock <name>": the form is updated with the account's lockout
	// facts, read from the DC, as if the account had been picked.
	if withFacts := waitCard(t, fake, chat.ID, "Bad passwords"); withFacts.ID != form.ID || withFacts.Versions != 2 || !strings.Contains(string(withFacts.Card), `"Input.`) {
		t.Fatalf("the form was not updated in place with the facts: %+v", withFacts)
	}
	verb, data := formData(t, form.Card, map[string]string{"org": "lab", "account": name, "reason": "Verified by call-back to the HR number", "temporary": "false", "note_password": "false"})
	doAction(t, fake, tmTech, chat, form.ID, verb, data, to(first))
	card := waitCard(t, fake, tmApprove, name)
	id := requestIn(t, card.Card)
	first.kill(t)

	thread := channelConv(tmApprove + ";messageid=" + card.ID)
	doAction(t, fake, tmLead, thread, card.ID, "unlockbot.approve", map[string]any{"request": id}, to(second))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if p, ok := fake.Activity(tmApprove, card.ID); ok && strings.Contains(string(p.Card), "Done") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second replica did not update the first one's card; its log:\n%s", second.log())
		}
	}
	if lab.Locked(t, dn) {
		t.Error("the account is still locked")
	}
	waitCard(t, fake, tmApprove, "Reset complete")
	waitCard(t, fake, chat.ID, "unlockbot.reveal")
}
