package teams_test

import (
	"context"
	"slices"
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
