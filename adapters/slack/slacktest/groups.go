package slacktest

import (
	"net/http"
)

// User groups: usergroups.users.list, with the failures a test needs to
// show that one group's trouble stays that group's (FailGroup, HoldGroup).

// FailGroup makes every usergroups.users.list of group id answer ok:false
// with code until FailGroup(id, "") (an outage of one group, not one call).
func (s *Server) FailGroup(id, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == "" {
		delete(s.groupFail, id)
		return
	}
	s.groupFail[id] = code
}

// Held is a usergroups.users.list call the fake keeps waiting.
type Held struct {
	arrived chan struct{}
	release chan string
}

// Arrived is closed when the held call has reached the fake.
func (h *Held) Arrived() <-chan struct{} { return h.arrived }

// Release answers the held call: normally with code "", else ok:false with
// code. A call whose client gave up first is not answered at all.
func (h *Held) Release(code string) { h.release <- code }

// HoldGroup makes the next usergroups.users.list of group id wait until
// Release (or until the client gives up), so a test can see what the bot
// does while one group is slow, without timing anything.
func (s *Server) HoldGroup(id string) *Held {
	h := &Held{arrived: make(chan struct{}), release: make(chan string, 1)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held[id] = h
	return h
}

// holdGroup blocks a held call; false: the client went away.
func (s *Server) holdGroup(r *http.Request, c Call) (code string, ok bool) {
	if c.Method != "usergroups.users.list" {
		return "", true
	}
	s.mu.Lock()
	h := s.held[c.Str("usergroup")]
	delete(s.held, c.Str("usergroup"))
	s.mu.Unlock()
	if h == nil {
		return "", true
	}
	close(h.arrived)
	select {
	case code := <-h.release:
		return code, true
	case <-r.Context().Done():
		return "", false
	}
}

func (s *Server) groupUsers(c Call) answer {
	id := c.Str("usergroup")
	if id == "" {
		return fail2("missing_argument")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if code := s.groupFail[id]; code != "" {
		return fail2(code)
	}
	users, ok := s.groups[id]
	if !ok {
		return fail2("no_such_subteam")
	}
	return answer{"ok": true, "users": append([]string{}, users...)}
}
