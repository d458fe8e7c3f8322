package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
)

// TestLoadTeamsProcess is the load tool for Teams (UNLOCKBOT_LOAD=1): the
// real `unlockbot serve` binary in its own process, real Redis, the Bot
// Framework fake in this process. UNLOCKBOT_LOAD_KIND=invoke (default)
// sends signed adaptiveCard/action invokes (the approver's refresh of a
// pending approval card: the request read from Redis, the card rendered
// for them) and times each answer; =message sends "unlock" in a personal
// chat and times it to the form card reaching the fake connector.
// UNLOCKBOT_LOAD_RATE sets the rate (default 100/s, for 10 s);
// UNLOCKBOT_LOAD_TARGET=bare measures testdata/teamsbare instead, a bare
// Go handler that verifies the same JWT and answers with a fixed card
// (with TEAMSBARE_TOKEN_CACHE=1 it checks a token's signature once, as
// serve does, and its lifetime and serviceurl every time; with
// TEAMSBARE_REPLAY_MARK=1 it marks each message's id in the same Redis
// before it replies, as any bot on more than one replica must).
// UNLOCKBOT_LOAD_PROFILE=FILE has serve write its CPU profile there. It
// reports; it does not assert a speed.
func TestLoadTeamsProcess(t *testing.T) {
	if os.Getenv("UNLOCKBOT_LOAD") != "1" {
		t.Skip("set UNLOCKBOT_LOAD=1 to run the load test")
	}
	rate, dur := 100, 10*time.Second
	if r, err := strconv.Atoi(os.Getenv("UNLOCKBOT_LOAD_RATE")); err == nil && r > 0 {
		rate = r
	}
	kind := os.Getenv("UNLOCKBOT_LOAD_KIND")
	if kind == "" {
		kind = "invoke"
	}
	// Cards are checked against the schema by the e2e and contract tests;
	// here that check would cost the fake more than the bot spends.
	fake, env := newTeamsFake(t, teamstest.Options{UnvalidatedCards: true})
	// Messages come from many technicians, each in their own personal chat,
	// as a busy helpdesk's would: Teams paces each conversation (2.1 s,
	// burst 6), so one chat sending hundreds a second is not a load real
	// traffic makes.
	techs := []teamstest.User{tmTech}
	if kind == "message" {
		techs = loadTechnicians(fake, rate*int(dur/time.Second)/4)
	}
	ids := make([]string, len(techs))
	for i, u := range techs {
		ids[i] = u.AADObjectID
	}
	base, cmd, bare := loadProcess(t, "./testdata/teamsbare", teamsPinned,
		fmt.Sprintf("teams: { channels: [%q], approval_channel: %q, technicians: [%s], approvers: [%s] }", tmHelp, tmApprove, strings.Join(ids, ", "), tmLead.AADObjectID),
		append(env, "TEAMS_APP_ID="+teamstest.DefaultAppID, "TEAMS_TENANT_ID="+teamstest.DefaultTenantID)...)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	post := func(body []byte, authz string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/messages", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", authz)
		r, err := client.Do(req)
		if err != nil {
			return 0, nil
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, b
	}
	send := func(act *schema.Activity) (int, []byte) { return post(fake.Wire(act), fake.Authorization(act)) }
	chat := fake.Personal(tmTech)
	chats := make([]teamstest.Conversation, len(techs))
	for i, u := range techs {
		chats[i] = fake.Personal(u)
	}

	// One pending request for the approver to refresh.
	n := 0
	next := func() *schema.Activity {
		n++
		return fake.Message(techs[n%len(techs)], chats[n%len(techs)], "unlock")
	}
	var thread teamstest.Conversation
	var cardID, reqID string
	if kind == "invoke" && !bare {
		send(next())
		form := waitCard(t, fake, chat.ID, `"Input.`)
		verb, data := formData(t, form.Card, map[string]string{"org": "acme", "account": "alice", "reason": "Verified by call-back to the HR number", "temporary": "false", "note_password": "false"})
		doAction(t, fake, tmTech, chat, form.ID, verb, data, send)
		card := waitCard(t, fake, tmApprove, "alice")
		cardID, reqID = card.ID, requestIn(t, card.Card)
		thread = channelConv(tmApprove + ";messageid=" + cardID)
	}
	if kind == "invoke" {
		next = func() *schema.Activity {
			act := fake.Invoke(tmLead, thread, "adaptiveCard/action", map[string]any{
				"action": map[string]any{"type": "Action.Execute", "verb": "teams.refresh", "data": map[string]any{"request": reqID}}, "trigger": "automatic"})
			act.ReplyToID = cardID
			return act
		}
		if bare {
			thread = channelConv(tmApprove)
		}
	}
	if kind == "message" {
		// Each technician has used the bot before, as a helpdesk's staff
		// have: their first contact (recording where to reach them) is
		// not what is measured.
		for _, u := range techs {
			if code, _ := send(fake.Message(u, fake.Personal(u), "unlock")); code != http.StatusOK {
				t.Fatalf("warm-up message: %d", code)
			}
		}
		time.Sleep(time.Second)
	}
	var (
		mu     sync.Mutex
		resp   []time.Duration
		sent   []time.Time
		sentAt = map[string]time.Time{}
		fails  int
		wg     sync.WaitGroup
	)
	// Built and signed before the clock starts: the fake's RSA signing, on
	// the same two cores, is not what is measured.
	type wired struct {
		id    string
		body  []byte
		authz string
	}
	acts := make([]wired, 0, rate*int(dur/time.Second))
	for range cap(acts) {
		act := next()
		acts = append(acts, wired{act.ID, fake.Wire(act), fake.Authorization(act)})
	}
	cpu0, _ := procUsage(cmd.Process.Pid)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for _, act := range acts {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			code, body := post(act.body, act.authz)
			d := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			sent = append(sent, start)
			sentAt[act.id] = start
			if code != http.StatusOK || (kind == "invoke" && !json.Valid(body)) {
				fails++
				return
			}
			resp = append(resp, d)
		}()
	}
	wg.Wait()
	time.Sleep(500 * time.Millisecond) // the detached form posts end
	pct := percentile
	target := "serve"
	if bare {
		target = "bare handler"
	}
	t.Logf("%s, %s at %d/s for %s: %d sent, %d failed", target, kind, rate, dur, len(sent), fails)
	t.Logf("activity → answer:           p50 %v, p99 %v, max %v", pct(resp, .5), pct(resp, .99), pct(resp, 1))
	if kind == "message" {
		var toCard []time.Duration
		for _, c := range chats {
			for _, p := range fake.Activities(c.ID) {
				if at, ok := sentAt[p.ReplyToID]; ok {
					toCard = append(toCard, p.At.Sub(at))
				}
			}
		}
		t.Logf("message → form card at the fake: p50 %v, p99 %v, max %v (%d cards)", pct(toCard, .5), pct(toCard, .99), pct(toCard, 1), len(toCard))
		if len(toCard) != len(sent) {
			t.Errorf("%d form cards for %d messages", len(toCard), len(sent))
		}
	}
	logUsage(t, cmd, len(sent), "activity", cpu0)
	if fails > 0 {
		t.Errorf("%d failures", fails)
	}
}

// waitCard waits up to 10 s for a card in conv containing want.
func waitCard(t testing.TB, fake *teamstest.Server, conv, want string) teamstest.Posted {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if p, ok := lastCard(fake, conv, want); ok && strings.Contains(string(p.Card), want) {
			return p
		}
	}
	t.Fatalf("no card with %q in %s: %+v", want, conv, fake.Activities(conv))
	return teamstest.Posted{}
}

// loadTechnicians adds n technicians to the fake, each with a personal
// chat with the bot.
func loadTechnicians(fake *teamstest.Server, n int) []teamstest.User {
	out := make([]teamstest.User, n)
	for i := range out {
		out[i] = teamstest.User{MRI: fmt.Sprintf("29:1load%d", i), AADObjectID: fmt.Sprintf("6f1c2f0e-3333-4a4a-9b9b-%012d", i), Name: fmt.Sprintf("Tech %d", i)}
		fake.AddUser(out[i])
	}
	return out
}
