package bot

import "context"

// Actor is a person acting through a chat platform or the CLI. Groups are
// resolved by the platform's People (Slack user groups, Teams/Entra
// groups), so bot/ never calls a chat API to check a role. An actor as a
// platform first reads it is bare: platform, tenant, id and handle; its
// groups and display name are filled in (People.Complete) only where a
// decision needs them, and after the platform's ack where that is allowed.
type Actor struct {
	Platform string `json:"platform"` // "slack", "teams", "cli", "demo"
	// Tenant is the workspace or directory tenant the id belongs to (Slack
	// team id, Entra tenant id); empty where the platform has none (cli).
	// A user id means nothing without it: the same id in another
	// workspace is another person.
	Tenant string   `json:"tenant,omitempty"`
	ID     string   `json:"id"`
	Name   string   `json:"name,omitempty"`
	Groups []string `json:"-"`
}

// Key is the qualified id used in config and audit: "slack:T1:U123", or
// "cli:ops" without a tenant.
func (a Actor) Key() string { return a.qualify(a.ID) }

func (a Actor) qualify(id string) string {
	if a.Tenant == "" {
		return a.Platform + ":" + id
	}
	return a.Platform + ":" + a.Tenant + ":" + id
}

// Same reports whether a and b are the same person on the same platform
// and tenant.
func (a Actor) Same(b Actor) bool {
	return a.Platform == b.Platform && a.Tenant == b.Tenant && a.ID == b.ID
}

// principals lists every config entry that can grant this actor a role.
func (a Actor) principals() []string {
	p := make([]string, 0, 1+len(a.Groups))
	p = append(p, a.Key())
	for _, g := range a.Groups {
		p = append(p, a.qualify(g))
	}
	return p
}

// Label is how the actor is named in text: the display name, which anyone
// can change to a colleague's, always with the immutable id beside it.
func (a Actor) Label() string {
	if a.Name == "" || a.Name == a.ID {
		return a.ID
	}
	return a.Name + " (" + a.ID + ")"
}

// People completes a bare actor with what its platform knows: the groups
// that carry roles, and the name people know them by. Looking that up may
// take a round trip to the platform, so the flow asks only when a
// decision needs it: a click's decision runs after the ack, and so does
// its lookup. Complete never fails: what it cannot learn stays empty, and
// an actor without groups holds no group role (fail closed).
type People interface {
	Complete(ctx context.Context, a Actor) Actor
}

// SetPeople registers the platform's People (adapters call it with their
// Notifier).
func (s *Service) SetPeople(platform string, p People) { s.people[platform] = p }

// complete fills in a bare actor through its platform's People.
func (s *Service) complete(ctx context.Context, a Actor) Actor {
	if p := s.people[a.Platform]; p != nil {
		return p.Complete(ctx, a)
	}
	return a
}
