package slacktest

import "fmt"

// Views: views.open makes a view with an id and a hash; views.update
// changes a view it knows, and only for the caller holding its current
// hash, as Slack does (hash_conflict otherwise).

// LatestView returns the id and current hash of the view opened or updated
// last, as a modal's later block_actions payload would carry them.
func (s *Server) LatestView() (id, hash string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for vid, h := range s.views {
		if vid > id {
			id, hash = vid, h
		}
	}
	return id, hash
}

// TouchView changes a view's hash, as the person editing it would.
func (s *Server) TouchView(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.views[id]; ok {
		s.views[id] += "+"
	}
}

func (s *Server) view(c Call) answer {
	if c.Method == "views.open" && c.Str("trigger_id") == "" {
		return fail2("missing_argument")
	}
	if c.Method == "views.update" && c.Str("view_id") == "" && c.Str("external_id") == "" {
		return fail2("missing_argument")
	}
	v, ok := c.Args["view"].(map[string]any)
	if !ok {
		return fail2("invalid_arguments", "view must be an object")
	}
	if errs := checkView(v); len(errs) > 0 {
		return fail2("invalid_arguments", errs...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.views == nil {
		s.views = map[string]string{}
	}
	s.nextView++
	id, hash := fmt.Sprintf("V%06d", s.nextView), fmt.Sprintf("%d.h%06d", 1700000000+s.nextView, s.nextView)
	if c.Method == "views.update" {
		// Slack updates the view it knows, and only if the caller's hash
		// is the current one (someone changed the view since: hash_conflict).
		id = c.Str("view_id")
		cur, known := s.views[id]
		switch {
		case !known:
			return fail2("not_found")
		case c.Str("hash") != "" && c.Str("hash") != cur:
			return fail2("hash_conflict")
		}
	}
	s.views[id] = hash
	out := map[string]any{"id": id, "hash": hash}
	for k, val := range v {
		out[k] = val
	}
	return answer{"ok": true, "view": out}
}
