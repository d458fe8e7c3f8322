package bot

// Actor is a person acting through a chat platform or the CLI. Groups are
// resolved by the adapter (Slack user groups, Teams/Entra groups) before the
// flow sees the actor, so bot/ never calls a chat API to check a role.
type Actor struct {
	Platform string   `json:"platform"` // "slack", "teams", "cli", "demo"
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"`
	Groups   []string `json:"-"`
}

// Key is the platform-qualified id used in config and audit: "slack:U123".
func (a Actor) Key() string { return a.Platform + ":" + a.ID }

// Same reports whether a and b are the same person on the same platform.
func (a Actor) Same(b Actor) bool { return a.Platform == b.Platform && a.ID == b.ID }

// principals lists every config entry that can grant this actor a role.
func (a Actor) principals() []string {
	p := make([]string, 0, 1+len(a.Groups))
	p = append(p, a.Key())
	for _, g := range a.Groups {
		p = append(p, a.Platform+":"+g)
	}
	return p
}

// Label is how the actor is named in messages.
func (a Actor) Label() string {
	if a.Name != "" {
		return a.Name
	}
	return a.ID
}
