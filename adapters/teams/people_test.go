package teams_test

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/adapters/adaptertest"
	"github.com/unlockbot/unlockbot/adapters/teams"
	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
	"github.com/unlockbot/unlockbot/bot"
)

// The profile's e-mail and UPN come from the connector's member lookup in
// the person's personal chat; someone the connector does not know, or of
// another tenant, has none (an error: the caller fails closed).
func TestProfileEmailsFromMemberLookup(t *testing.T) {
	d := newContractTeams(t, adaptertest.NewEnv(t, bindings()))
	ann := teamstest.User{MRI: "29:1ann", AADObjectID: "0b7a2f0e-4444-4a4a-9b9b-00000000000d", Name: "Ann", Email: "ann@acme.example", UPN: "ann.s@acme.example"}
	bo := teamstest.User{MRI: "29:1bo", AADObjectID: "0b7a2f0e-5555-4a4a-9b9b-00000000000e", Name: "Bo", UPN: "bo@acme.example"}
	d.fake.AddUser(ann)
	d.fake.AddUser(bo)
	tenant := d.fake.Options().TenantID
	ctx := context.Background()
	as := func(u teamstest.User) bot.Actor {
		return bot.Actor{Platform: teams.Platform, Tenant: tenant, ID: u.AADObjectID}
	}
	got, err := d.a.ProfileEmails(ctx, as(ann))
	if err != nil || !slices.Equal(got, []string{ann.Email, ann.UPN}) {
		t.Fatalf("ProfileEmails(ann) = %q, %v", got, err)
	}
	got, err = d.a.ProfileEmails(ctx, as(bo))
	if err != nil || !slices.Equal(got, []string{bo.UPN}) {
		t.Fatalf("ProfileEmails(bo, no e-mail) = %q, %v", got, err)
	}
	other := as(ann)
	other.Tenant = "11111111-2222-3333-4444-555555555555"
	if got, err := d.a.ProfileEmails(ctx, other); err == nil || got != nil {
		t.Fatalf("another tenant's person = %q, %v; want an error", got, err)
	}
	d.fake.Uninstall(bo) // no personal chat any more: Teams cannot say
	if got, err := d.a.ProfileEmails(ctx, bot.Actor{Platform: teams.Platform, Tenant: tenant, ID: "0b7a2f0e-9999-4a4a-9b9b-000000000000"}); err == nil || got != nil {
		t.Fatalf("unknown person = %q, %v; want an error", got, err)
	}
}

// FindByEmail asks Teams for the address as a member of the channels the
// bot posts approvals in: a member is found by UPN and named by object id,
// and Notify then reaches their personal chat; nobody is found before the
// bot knows a channel, nor for an address no member holds; a connector
// failure is an error, not "nobody".
func TestFindByEmailInApprovalChannel(t *testing.T) {
	d := newContractTeams(t, adaptertest.NewEnv(t, bindings()))
	ann := teamstest.User{MRI: "29:1ann", AADObjectID: "0B7A2F0E-4444-4A4A-9B9B-00000000000D", Name: "Ann", Email: "ann@acme.example", UPN: "ann.s@acme.example"}
	d.fake.AddUser(ann)
	ctx := context.Background()

	if _, found, err := d.a.FindByEmail(ctx, ann.UPN); found || err != nil {
		t.Fatalf("before any approval channel is known: found %v, %v; want not found", found, err)
	}
	if _, err := d.a.PostApproval(ctx, chApprovals, bot.Card{Title: "Unlock request"}); err != nil {
		t.Fatal(err)
	}
	who, found, err := d.a.FindByEmail(ctx, "Ann.S@Acme.Example")
	want := bot.Actor{Platform: teams.Platform, Tenant: d.fake.Options().TenantID, ID: strings.ToLower(ann.AADObjectID), Name: ann.Name}
	if err != nil || !found || !reflect.DeepEqual(who, want) {
		t.Fatalf("FindByEmail(UPN) = %+v, %v, %v; want %+v", who, found, err, want)
	}
	if err := d.a.Notify(ctx, who, bot.Card{Title: "Your password was reset"}); err != nil {
		t.Fatal(err)
	}
	if got := d.fake.Activities(d.fake.Personal(ann).ID); len(got) != 1 {
		t.Fatalf("ann's personal chat has %d messages, want the notice", len(got))
	}
	if _, found, err := d.a.FindByEmail(ctx, "nobody@acme.example"); found || err != nil {
		t.Fatalf("an address no member holds: found %v, %v; want not found", found, err)
	}
	d.fake.FailNext(10, 500)
	if _, found, err := d.a.FindByEmail(ctx, ann.UPN); found || err == nil {
		t.Fatalf("connector failing: found %v, %v; want an error", found, err)
	}
}

// On a fresh install, before any approval card, the orgs' configured
// approval channels are asked: the owner is found, on the service URL an
// activity of the tenant recorded (the configured default here answers
// nothing), and Notify reaches them. No card is posted to find them.
func TestFindByEmailBeforeAnyApprovalCard(t *testing.T) {
	d := newContractTeamsWith(t, adaptertest.NewEnv(t, bindings()), func(c *teams.Config) {
		c.ApprovalChannels = []string{"", chApprovals}
		c.DefaultServiceURL = "http://127.0.0.1:9/connector/" // discard port: nothing is reached there
	})
	ann := teamstest.User{MRI: "29:1ann", AADObjectID: "0b7a2f0e-4444-4a4a-9b9b-00000000000d", Name: "Ann", Email: "ann@acme.example", UPN: "ann.s@acme.example"}
	d.fake.AddUser(ann)
	ctx := context.Background()
	tech := people[adaptertest.Technician]
	if code, body := d.fake.Deliver(d.mux, d.fake.Message(tech, d.fake.Personal(tech), "help")); code != http.StatusOK {
		t.Fatalf("an activity of the tenant: %d %s", code, body)
	}
	d.Wait(t)

	who, found, err := d.a.FindByEmail(ctx, ann.UPN)
	if err != nil || !found || who.ID != ann.AADObjectID {
		t.Fatalf("FindByEmail before any card = %+v, %v, %v; want ann", who, found, err)
	}
	if n := len(d.fake.Activities(chApprovals)); n != 0 {
		t.Fatalf("%d posts in the approval channel, want none", n)
	}
	if err := d.a.Notify(ctx, who, bot.Card{Title: "Did you ask to unlock your account?"}); err != nil {
		t.Fatal(err)
	}
	if got := d.fake.Activities(d.fake.Personal(ann).ID); len(got) != 1 {
		t.Fatalf("ann's personal chat has %d messages, want the question", len(got))
	}
}
