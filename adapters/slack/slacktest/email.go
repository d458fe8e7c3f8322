package slacktest

import "strings"

// users.lookupByEmail, as strict as Slack: the email argument is required,
// the match ignores case, and an address nobody in the workspace holds
// answers users_not_found. A deleted user is still found (Slack returns
// them with deleted:true); the client must not message them.

// emailUser is one person users.lookupByEmail knows.
type emailUser struct {
	id      string
	deleted bool
}

// SetEmail makes users.lookupByEmail find user id by address.
func (s *Server) SetEmail(address, id string) { s.setEmail(address, emailUser{id: id}) }

// SetDeletedEmail makes the address belong to a deactivated user.
func (s *Server) SetDeletedEmail(address, id string) {
	s.setEmail(address, emailUser{id: id, deleted: true})
}

func (s *Server) setEmail(address string, u emailUser) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.emails == nil {
		s.emails = map[string]emailUser{}
	}
	s.emails[strings.ToLower(address)] = u
}

func (s *Server) lookupByEmail(c Call) answer {
	addr := c.Str("email")
	if addr == "" {
		return fail2("missing_argument")
	}
	if !strings.Contains(addr, "@") {
		return fail2("invalid_email")
	}
	s.mu.Lock()
	u, ok := s.emails[strings.ToLower(addr)]
	s.mu.Unlock()
	if !ok {
		return fail2("users_not_found")
	}
	return answer{"ok": true, "user": map[string]any{"id": u.id, "team_id": s.workspace().TeamID, "deleted": u.deleted,
		"is_bot": false, "profile": map[string]any{"email": addr}}}
}

// emailOf is the address SetEmail gave user id (users.info's
// profile.email); s.mu is held.
func (s *Server) emailOf(id string) (string, emailUser, bool) {
	for addr, u := range s.emails {
		if u.id == id {
			return addr, u, true
		}
	}
	return "", emailUser{}, false
}
