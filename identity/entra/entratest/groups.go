package entratest

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Members returns the direct member ids of group id (nil when no such group).
func (s *Server) Members(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.groups[strings.ToLower(id)]; g != nil {
		return slices.Clone(g.Members)
	}
	return nil
}

// refRE is what @odata.id may name: a directory object or user of this
// service, by id.
var refRE = regexp.MustCompile(`/(directoryObjects|users)/([0-9a-fA-F-]{36})$`)

// addMember is POST /groups/{id}/members/$ref with {"@odata.id": ...}. A
// member already there is Graph's 400 "already exist".
func (s *Server) addMember(w http.ResponseWriter, r *http.Request, id string, _ url.Values) {
	g := s.groups[id]
	if g == nil {
		notFound(w, s, id)
		return
	}
	var body struct {
		Ref string `json:"@odata.id"`
	}
	m := []string(nil)
	if decode(r, &body) == nil && strings.HasPrefix(body.Ref, s.GraphURL()+"/") {
		m = refRE.FindStringSubmatch(body.Ref)
	}
	if m == nil {
		graphErr(w, s.now, http.StatusBadRequest, "Request_BadRequest", "Invalid URL format specified in @odata.bind for members.")
		return
	}
	member := strings.ToLower(m[2])
	if s.users[member] == nil && s.groups[member] == nil {
		notFound(w, s, member)
		return
	}
	if contains(lowered(g.Members), member) {
		graphErr(w, s.now, http.StatusBadRequest, "Request_BadRequest",
			"One or more added object references already exist for the following modified properties: 'members'.")
		return
	}
	g.Members = append(g.Members, member)
	w.Header().Set("request-id", newID())
	w.WriteHeader(http.StatusNoContent)
}

// removeMember is DELETE /groups/{id}/members/{member}/$ref; 404 when the
// object is not a direct member.
func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, id string, _ url.Values) {
	g := s.groups[id]
	parts := strings.Split(r.URL.Path, "/") // "", "v1.0", "groups", id, "members", member, "$ref"
	member := strings.ToLower(parts[len(parts)-2])
	if !guidRE.MatchString(member) {
		graphErr(w, s.now, http.StatusBadRequest, "Request_BadRequest", "Invalid object identifier '"+member+"'.")
		return
	}
	i := -1
	if g != nil {
		i = slices.Index(lowered(g.Members), member)
	}
	if i < 0 {
		notFound(w, s, member)
		return
	}
	g.Members = slices.Delete(g.Members, i, i+1)
	w.Header().Set("request-id", newID())
	w.WriteHeader(http.StatusNoContent)
}

// setEnabled is PATCH accountEnabled: User.EnableDisableAccount.All (or
// a broader write), and never on an object Entra Connect masters.
func (s *Server) setEnabled(w http.ResponseWriter, u *User, on bool) {
	if !s.granted([]string{"User.EnableDisableAccount.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}) {
		graphErr(w, s.now, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	if u.Synced {
		graphErr(w, s.now, http.StatusBadRequest, "Request_BadRequest",
			"Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.")
		return
	}
	u.Enabled = on
	u.EnabledWrites++
	w.Header().Set("request-id", newID())
	w.WriteHeader(http.StatusNoContent)
}
