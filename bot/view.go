package bot

import (
	"context"
	"strings"
)

// Some platforms draw a card per viewer (Teams: a card's refresh answers
// each listed person with their own version). These two entry points let
// such an adapter show the buttons only to the people who may press them,
// without deciding itself who that is. The click is checked again when it
// arrives; this is for the viewer's sake, not the security check.

// ViewApproval is the approval card of request id as viewer sees it now:
// with its buttons while they may act on them (an approver who is not the
// requester while it waits; the requester or an approver when a failed
// reset may be retried), without them otherwise; someone who is neither
// the requester nor a technician or approver of the org reads only that
// the request is not theirs to see.
func (s *Service) ViewApproval(ctx context.Context, id string, viewer Actor) (Card, error) {
	r, o, c, err := s.viewed(ctx, id)
	if err != nil {
		return Card{}, err
	}
	who := s.complete(ctx, viewer)
	if !who.Same(r.Requester) && !o.IsTechnician(who) && !o.IsApprover(who) {
		// Anyone in the tenant can send a refresh naming a request id (they
		// are on cards): the account, reason and facts are for the org's
		// own people.
		return Card{Title: "Request " + r.ID, Text: "Only " + o.Name + "'s technicians and approvers can see this request.", Footer: "Request " + r.ID}, nil
	}
	if !s.mayAct(o, r, who) {
		c.Actions = nil
	}
	return c, nil
}

func (s *Service) mayAct(o *Org, r *Request, who Actor) bool {
	switch r.State {
	case StatePendingApproval:
		return s.checkApprover(o, r, who) == ""
	case StateFailed:
		return who.Same(r.Requester) || o.IsApprover(who)
	}
	return false
}

// Deciders are the ids, on platform and bare ("29:…" or an object id, as
// the org config names them), of the people who may act on request id at
// some point: its org's approvers there, and the requester (a retry). Ids
// of groups are among them; an adapter that cannot address a group skips
// it.
func (s *Service) Deciders(ctx context.Context, id, platform string) ([]string, error) {
	const op = "bot.Deciders"
	r, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	o, err := s.orgOf(op, r)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, p := range o.Approvers {
		rest, ok := strings.CutPrefix(p, platform+":")
		if !ok {
			continue
		}
		if _, bare, tenant := strings.Cut(rest, ":"); tenant {
			rest = bare
		}
		add(rest)
	}
	if r.Requester.Platform == platform {
		add(r.Requester.ID)
	}
	return out, nil
}
