package bot

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/memory"
)

// profileChat knows each person's profile e-mail (Teams' member lookup).
type profileChat struct {
	*fakeChat
	mail map[string]string
}

func (p profileChat) ProfileEmails(_ context.Context, a Actor) ([]string, error) {
	if a.ID == "U-down" {
		return nil, errors.New("teams down")
	}
	return []string{p.mail[a.ID]}, nil
}

func requesterHarness(t *testing.T) *harness {
	h := newHarness(t, nil)
	h.svc.orgs["acme"].Policy.AuthorizedRequesters = []string{"test:U2"}
	h.svc.orgs["acme"].Technicians = append(h.svc.orgs["acme"].Technicians, "test:U-down")
	h.dir.Put(memory.User{Account: identity.Account{Username: "tess", UPN: "Tess@Example.test", InScope: true, ID: "CN=tess,OU=Staff,DC=example,DC=test"}})
	return h
}

func TestUnlistedTechnicianAsksOnlyForThemselves(t *testing.T) {
	for _, platform := range []string{"finder", "profile"} {
		t.Run(platform, func(t *testing.T) {
			h := requesterHarness(t)
			if platform == "finder" {
				h.svc.SetNotifier("test", mailChat{h.chat, map[string]Actor{"tess@example.test": tech}})
			} else {
				h.svc.SetNotifier("test", profileChat{h.chat, map[string]string{"U1": "tess@example.test"}})
			}
			_, err := h.submit("bob", "")
			var v *ValidationError
			if !errors.As(err, &v) || v.Why != "not_authorized_requester" || !strings.Contains(v.SafeMessage(), "only for your own account in Acme") {
				t.Fatalf("tech asking for bob: %v", err)
			}
			if e := h.lastEvent("request.refused"); e.Detail["why"] != "not_authorized_requester" || e.Actor != tech.Key() || e.TargetDN == "" {
				t.Fatalf("refusal %+v", e)
			}
			h.mustSubmit("tess", "") // their own account, matched by UPN
			sub := Submission{Requester: approver, OrgID: "acme", Account: "bob", Reason: "Verified by call-back", Temporary: true}
			if _, err := h.svc.Submit(context.Background(), sub); err != nil {
				t.Fatalf("a listed requester asking for bob: %v", err)
			}
		})
	}
}

// A platform that cannot say who owns an address confirms nobody.
func TestRequesterUnknownOwnerIsRefused(t *testing.T) {
	h := requesterHarness(t)
	if _, err := h.submit("tess", ""); err == nil {
		t.Fatal("no lookup on the platform, yet the request went through")
	}
	h.svc.SetNotifier("test", profileChat{h.chat, nil})
	down := Actor{Platform: "test", ID: "U-down"}
	sub := Submission{Requester: down, OrgID: "acme", Account: "tess", Reason: "Verified by call-back", Temporary: true}
	if _, err := h.svc.Submit(context.Background(), sub); err == nil {
		t.Fatal("a failed profile lookup let the request through")
	}
	h.svc.SetNotifier("test", mailChat{h.chat, map[string]Actor{}})
	h.dir.Put(memory.User{Account: identity.Account{Username: "tess", Mail: "boom@example.test", InScope: true, ID: "CN=tess,OU=Staff,DC=example,DC=test"}})
	if _, err := h.submit("tess", ""); err == nil {
		t.Fatal("a failed chat lookup let the request through")
	}
	if !strings.Contains(h.logs.String(), "lookup by e-mail failed") {
		t.Fatal("the failed lookup is not in the log")
	}
}

func TestBreakGlassIgnoresRequesterPolicy(t *testing.T) {
	h := requesterHarness(t)
	sub := Submission{Requester: Actor{ID: "ops"}, OrgID: "acme", Account: "bob", Reason: "Verified by call-back", Temporary: true}
	if _, err := h.svc.BreakGlass(context.Background(), sub); err != nil {
		t.Fatalf("break glass refused by the requester policy: %v", err)
	}
}
