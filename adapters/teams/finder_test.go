package teams_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/adapters/adaptertest"
	"github.com/unlockbot/unlockbot/adapters/teams"
	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
	"github.com/unlockbot/unlockbot/bot"
)

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
