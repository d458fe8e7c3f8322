package slack

import (
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/slack/slacktest"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/identity"
)

// pick is the block_actions Slack sends when the account field of an open
// request modal changes (the input block dispatches its action).
func (e *env) pick(who, viewID, hash, org, account string) map[string]any {
	opt := map[string]any{"value": account, "text": map[string]any{"type": "plain_text", "text": account}}
	return map[string]any{
		"type": "block_actions", "user": user(who), "trigger_id": e.nextTrigger(),
		"container": map[string]any{"type": "view", "view_id": viewID},
		"view": map[string]any{"id": viewID, "hash": hash, "type": "modal", "callback_id": string(bot.FormRequest), "private_metadata": chAcme,
			"state": map[string]any{"values": map[string]any{
				string(bot.FieldOrg):     map[string]any{string(bot.FieldOrg): sel(org)},
				string(bot.FieldAccount): map[string]any{string(bot.FieldAccount): map[string]any{"type": "external_select", "selected_option": opt}},
			}}},
		"actions": []any{map[string]any{"type": "external_select", "action_id": string(bot.FieldAccount), "block_id": string(bot.FieldAccount),
			"selected_option": opt, "action_ts": "1"}},
	}
}

// factsIn returns the text of the account-facts block of a views.update.
func factsIn(c slacktest.Call) string {
	v, _ := c.Args["view"].(map[string]any)
	blocks, _ := v["blocks"].([]any)
	for _, b := range blocks {
		m, _ := b.(map[string]any)
		if m["block_id"] == factsBlock {
			return c.Body
		}
	}
	return ""
}

func (e *env) lockedAlice() time.Time {
	at := time.Date(2026, 12, 1, 8, 40, 0, 0, time.UTC)
	a, _ := e.dir.User("alice")
	a.Lock = identity.LockState{Locked: true, LockedAt: at, BadCount: 3, LastBadAt: at}
	a.LastLogon = time.Date(2026, 11, 30, 17, 5, 0, 0, time.UTC)
	e.dir.Put(a)
	return at
}

// "/unlock alice" opens the modal at once and then shows alice's facts,
// read fresh, in the same view (views.update with its id and hash).
func TestPrefilledAccountShowsItsFacts(t *testing.T) {
	e := newEnv(t, nil)
	e.lockedAlice()
	e.mustOK(e.send("/slack/commands", e.command(uTech, chAcme, "alice")))
	e.wait()
	opens, ups := e.fake.Calls("views.open"), e.fake.Calls("views.update")
	if len(opens) != 1 || len(ups) != 1 {
		t.Fatalf("%d views.open, %d views.update; want 1 and 1", len(opens), len(ups))
	}
	body := factsIn(ups[0])
	for _, want := range []string{"Alice Person (alice)", "since 2026-12-01 08:40 UTC", "3, last 2026-12-01 08:40 UTC", "2026-11-30 17:05 UTC", "0×"} {
		if !strings.Contains(body, want) {
			t.Errorf("facts lack %q: %s", want, ups[0].Body)
		}
	}
	if ups[0].Str("view_id") == "" || ups[0].Str("hash") == "" {
		t.Fatalf("the update is not tied to the open view: %s", ups[0].Body)
	}
}

// Picking an account in the open modal shows its facts; a privileged one
// shows why unlockbot will refuse it, before anything is submitted.
func TestPickingAnAccountShowsItsFacts(t *testing.T) {
	e := newEnv(t, nil)
	e.lockedAlice()
	e.mustOK(e.send("/slack/commands", e.command(uTech, chAcme, "")))
	e.wait()
	id, hash := e.fake.LatestView()
	e.mustOK(e.send("/slack/interactions", payload(e.pick(uTech, id, hash, "acme", "alice"))))
	e.wait()
	ups := e.fake.Calls("views.update")
	if len(ups) != 1 || !strings.Contains(factsIn(ups[0]), "since 2026-12-01 08:40 UTC") || ups[0].Str("view_id") != id {
		t.Fatalf("picking alice: %+v", ups)
	}
	id, hash = e.fake.LatestView()
	e.mustOK(e.send("/slack/interactions", payload(e.pick(uTech, id, hash, "acme", "dadmin"))))
	e.wait()
	ups = e.fake.Calls("views.update")
	if len(ups) != 2 || !strings.Contains(factsIn(ups[1]), "privileged") {
		t.Fatalf("picking a domain admin: %s", ups[len(ups)-1].Body)
	}
	if n := len(e.fake.Calls("chat.postMessage")); n != 0 {
		t.Fatalf("picking an account posted %d messages", n)
	}
}

// The person changed the modal after picking: Slack refuses the stale
// update (hash_conflict), which is expected and not logged as a failure.
func TestFactsForAChangedViewAreDropped(t *testing.T) {
	e := newEnv(t, nil)
	e.mustOK(e.send("/slack/commands", e.command(uTech, chAcme, "")))
	e.wait()
	id, hash := e.fake.LatestView()
	e.fake.TouchView(id)
	e.mustOK(e.send("/slack/interactions", payload(e.pick(uTech, id, hash, "acme", "alice"))))
	e.wait()
	if strings.Contains(e.logs.String(), "could not show the account's facts") {
		t.Fatalf("a hash conflict was logged as a failure:\n%s", e.logs.String())
	}
	if len(e.fake.Calls("views.update")) != 1 {
		t.Fatal("no update was attempted")
	}
}

// A stranger picking an account in a modal they should not have learns
// nothing about it.
func TestPickingByAStrangerShowsNothing(t *testing.T) {
	e := newEnv(t, nil)
	e.mustOK(e.send("/slack/interactions", payload(e.pick(uOther, "V999999", "h", "acme", "alice"))))
	e.wait()
	if n := len(e.fake.Calls("views.update")); n != 0 {
		t.Fatalf("%d views.update for a non-technician", n)
	}
}

// The modal's "What to do" choice reaches the flow: Unlock only.
func TestUnlockOnlyFromTheModal(t *testing.T) {
	e := newEnv(t, nil)
	f := validForm()
	f.mode = string(bot.ModeUnlock)
	id, post := e.submitOK(uTech, f)
	if !strings.Contains(post.Body, "Unlock request: Alice Person (alice)") || !strings.Contains(post.Body, "Unlock only (password unchanged)") {
		t.Fatalf("approval card: %s", post.Body)
	}
	e.mustOK(e.send("/slack/interactions", e.click(uApprover, chApprovals, bot.ActionApprove, id)))
	e.wait()
	if e.dir.Calls.Unlock != 1 || e.dir.Calls.SetPassword != 0 {
		t.Fatalf("unlocks %d, password writes %d", e.dir.Calls.Unlock, e.dir.Calls.SetPassword)
	}
	for _, c := range e.fake.Calls("chat.postMessage") {
		if strings.Contains(c.Body, string(bot.ActionReveal)) {
			t.Fatal("an unlock offered a password to reveal")
		}
	}
}
