package teams_test

import (
	"context"
	"slices"
	"testing"

	"github.com/unlockbot/unlockbot/adapters/teams"
	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
)

// Delete takes back a message the bot posted: it is gone from the
// conversation, and deleting it again (or updating it) is Teams' 404.
func TestConnectorDelete(t *testing.T) {
	r := newConnRig(t, nil)
	ctx := context.Background()
	svc := r.s.ServiceURL()
	chat := r.s.Personal(connUser).ID
	keep, err := r.c.Send(ctx, svc, chat, teams.Outgoing{Text: "kept", Card: connCard})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := r.c.Send(ctx, svc, chat, teams.Outgoing{Text: "taken back", Card: connCard})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.c.Delete(ctx, svc, chat, gone); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	var left []string
	for _, p := range r.s.Activities(chat) {
		left = append(left, p.ID)
	}
	if !slices.Equal(left, []string{keep}) || !slices.Equal(r.s.Deleted(chat), []string{gone}) {
		t.Fatalf("left %v, deleted %v; want %s left and %s deleted", left, r.s.Deleted(chat), keep, gone)
	}
	const want = "Teams refused to delete the message: ActivityNotFoundInConversation (the message it refers to no longer exists)"
	if err := r.c.Delete(ctx, svc, chat, gone); err == nil || err.Error() != want {
		t.Fatalf("second Delete err = %v, want %q", err, want)
	}
	if err := r.c.Update(ctx, svc, chat, gone, teams.Outgoing{Text: "again", Card: connCard}); err == nil {
		t.Fatal("an update of a deleted message was taken")
	}
	if n := r.s.Calls()[teamstest.CallDelete]; n != 2 {
		t.Fatalf("%d delete calls, want 2", n)
	}
}
