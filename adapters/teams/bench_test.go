package teams_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/adapters/adaptertest"
	"github.com/unlockbot/unlockbot/adapters/teams"
	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
	"github.com/unlockbot/unlockbot/bot"
)

// BenchmarkRefreshInvoke is one signed adaptiveCard/action (an approver's
// refresh of a pending approval card: what Teams sends each approver
// whenever the card changes) through the adapter's handler on the
// in-memory store: token check, replay marker, the request read and the
// card rendered for the viewer. Activities are signed before the clock
// starts: the fake's RSA signing is not the bot's cost.
func BenchmarkRefreshInvoke(b *testing.B) {
	env := adaptertest.NewEnv(b, bindings())
	d := newContractTeams(b, env, teamstest.Options{UnvalidatedCards: true}) // the fake's schema check is not the bot's cost
	tech := people[adaptertest.Technician]
	req, err := env.Service.Submit(context.Background(), bot.Submission{
		Requester: bot.Actor{Platform: teams.Platform, Tenant: teamstest.DefaultTenantID, ID: tech.AADObjectID, Name: tech.Name},
		OrgID:     adaptertest.OrgID, Account: adaptertest.Locked, Reason: "Called back on the HR phone number",
	})
	if err != nil {
		b.Fatal(err)
	}
	posted := d.fake.Activities(chApprovals)
	if len(posted) != 1 {
		b.Fatalf("%d approval cards", len(posted))
	}
	thread := teamstest.Conversation{ID: chApprovals + ";messageid=" + posted[0].ID, Type: "channel", TeamID: teamID}
	type signed struct {
		body  []byte
		authz string
	}
	acts := make([]signed, b.N)
	for i := range acts {
		act := d.fake.Invoke(watcher, thread, "adaptiveCard/action", map[string]any{
			"action": map[string]any{"type": "Action.Execute", "verb": "teams.refresh", "data": map[string]any{"request": req.ID}}, "trigger": "automatic"})
		act.ReplyToID = posted[0].ID
		acts[i] = signed{d.fake.Wire(act), d.fake.Authorization(act)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if code, body := d.fake.DeliverRaw(d.mux, acts[i].body, acts[i].authz); code != http.StatusOK {
			b.Fatalf("%d %s", code, body)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "µs/invoke")
}

// BenchmarkUnlockMessage is "unlock" in a personal chat until the form
// card is at the fake connector, on the in-memory store: the token check,
// the replay marker, the form built and rendered, the bot's token (cached)
// and the connector call over loopback HTTP.
func BenchmarkUnlockMessage(b *testing.B) {
	env := adaptertest.NewEnv(b, bindings())
	// One chat sends every message here: its pace still takes its store
	// call for each, but no wait (Teams' 2.1 s per conversation is not
	// the bot's cost). The fake's schema check is not either.
	d := newContractTeamsWith(b, env, func(c *teams.Config) { c.ConversationInterval = time.Microsecond }, teamstest.Options{UnvalidatedCards: true})
	tech := people[adaptertest.Technician]
	chat := d.fake.Personal(tech)
	type signed struct {
		body  []byte
		authz string
	}
	acts := make([]signed, b.N)
	for i := range acts {
		act := d.fake.Message(tech, chat, "unlock")
		acts[i] = signed{d.fake.Wire(act), d.fake.Authorization(act)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if code, body := d.fake.DeliverRaw(d.mux, acts[i].body, acts[i].authz); code != http.StatusOK {
			b.Fatalf("%d %s", code, body)
		}
		d.drain(b)
	}
	b.StopTimer()
	if n := len(d.fake.Activities(chat.ID)); n != b.N {
		b.Fatalf("%d forms for %d messages", n, b.N)
	}
}
