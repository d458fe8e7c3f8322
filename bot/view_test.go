package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
)

func actionsOf(c Card) []ActionID {
	var out []ActionID
	for _, a := range c.Actions {
		out = append(out, a.ID)
	}
	return out
}

// ViewApproval shows the buttons only to who may press them, in each
// state: the approver while it waits, nobody once decided, the requester
// and the approver when a failed reset may be retried.
func TestViewApprovalButtonsPerViewer(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	r := h.mustSubmit("alice", "")
	view := func(who Actor) []ActionID {
		t.Helper()
		c, err := h.svc.ViewApproval(ctx, r.ID, who)
		if err != nil {
			t.Fatal(err)
		}
		if c.Title == "" || c.Footer != "Request "+r.ID {
			t.Fatalf("not the approval card: %+v", c)
		}
		return actionsOf(c)
	}
	pending := []ActionID{ActionApprove, ActionDeny}
	type seen struct {
		who  Actor
		want []ActionID
	}
	// Someone of no role in the org reads nothing of the request.
	if c, err := h.svc.ViewApproval(ctx, r.ID, other); err != nil || len(c.Fields) != 0 || c.Actions != nil || strings.Contains(fmt.Sprintf("%+v", c), "alice") ||
		!strings.Contains(c.Text, "Only Acme's technicians and approvers") {
		t.Fatalf("an outsider's view: %+v %v", c, err)
	}
	for _, c := range []seen{{approver, pending}, {groupie, pending}, {tech, nil}} {
		if got := view(c.who); !slices.Equal(got, c.want) {
			t.Errorf("pending, %s sees %v, want %v", c.who.Name, got, c.want)
		}
	}
	h.dir.FailNext("SetPassword", identity.E("test", identity.KindUnavailable, "The directory did not answer in time.", identity.ErrUnavailable))
	if _, err := h.svc.Approve(ctx, r.ID, approver); err == nil {
		t.Fatal("the injected failure did not fail the reset")
	}
	retry := []ActionID{ActionRetry}
	for _, c := range []seen{{approver, retry}, {tech, retry}} {
		if got := view(c.who); !slices.Equal(got, c.want) {
			t.Errorf("failed, %s sees %v, want %v", c.who.Name, got, c.want)
		}
	}
	if _, err := h.svc.Retry(ctx, r.ID, tech); err != nil {
		t.Fatal(err)
	}
	for _, who := range []Actor{approver, tech} {
		if got := view(who); got != nil {
			t.Errorf("done, %s sees %v", who.Name, got)
		}
	}
	if _, err := h.svc.ViewApproval(ctx, "no-such-request", approver); KindOf(err) != KindNotFound {
		t.Errorf("unknown request: %v", err)
	}
}

// Deciders names the org's approvers on the platform, bare, and the
// requester; nobody of another platform.
func TestDeciders(t *testing.T) {
	h := newHarness(t, nil)
	h.org.Approvers = append(h.org.Approvers, "teams:T9:aad-1", "slack:T1:U9")
	h.svc = h.replica(h.st)
	r := h.mustSubmit("alice", "")
	got, err := h.svc.Deciders(context.Background(), r.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"U2", "S-approvers", "U1"}; !slices.Equal(got, want) {
		t.Errorf("test deciders %v, want %v", got, want)
	}
	got, _ = h.svc.Deciders(context.Background(), r.ID, "teams")
	if want := []string{"aad-1"}; !slices.Equal(got, want) {
		t.Errorf("teams deciders %v, want %v", got, want)
	}
	if _, err := h.svc.Deciders(context.Background(), "nope", "test"); err == nil {
		t.Error("an unknown request has deciders")
	}
}
