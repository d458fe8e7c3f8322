package entratest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// stableID derives a GUID-shaped id from a name, so role definitions and
// app roles keep their ids across calls as in a real tenant.
func stableID(kind, name string) string {
	h := sha256.Sum256([]byte(kind + "/" + name))
	x := hex.EncodeToString(h[:16])
	return fmt.Sprintf("%s-%s-%s-%s-%s", x[:8], x[8:12], x[12:16], x[16:20], x[20:])
}

// memberGroups returns every group id the principal is in, transitively.
func (s *Server) memberGroups(principal string) map[string]bool {
	in := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for gid, g := range s.groups {
			if in[gid] {
				continue
			}
			for _, m := range g.Members {
				m = strings.ToLower(m)
				if m == principal || in[m] {
					in[gid], changed = true, true
					break
				}
			}
		}
	}
	return in
}

func (s *Server) checkMemberGroups(w http.ResponseWriter, r *http.Request, id string, _ url.Values) {
	if s.users[id] == nil {
		notFound(w, s, id)
		return
	}
	var body struct {
		GroupIDs []string `json:"groupIds"`
	}
	if decode(r, &body) != nil || len(body.GroupIDs) == 0 || len(body.GroupIDs) > 20 {
		graphErr(w, s.now, http.StatusBadRequest, "Request_BadRequest", "Invalid request: groupIds must hold 1 to 20 group ids.")
		return
	}
	in := s.memberGroups(id)
	hits := []string{}
	for _, g := range body.GroupIDs {
		if !guidRE.MatchString(g) {
			graphErr(w, s.now, http.StatusBadRequest, "Request_BadRequest", "Invalid GUID:"+g)
			return
		}
		if in[strings.ToLower(g)] {
			hits = append(hits, g)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": hits})
}

// memberOf with a cast and a filter is an advanced query: Graph wants
// ConsistencyLevel: eventual and $count=true, and says so otherwise.
func (s *Server) memberOf(w http.ResponseWriter, r *http.Request, id string, q url.Values) {
	if s.users[id] == nil {
		notFound(w, s, id)
		return
	}
	if q.Get("$filter") != "" && (r.Header.Get("ConsistencyLevel") != "eventual" || q.Get("$count") != "true") {
		graphErr(w, s.now, http.StatusBadRequest, "Request_UnsupportedQuery",
			"The specified filter to the reference property query is currently not supported.")
		return
	}
	onlyAssignable := false
	if f := q.Get("$filter"); f != "" {
		cs, err := parseFilter(f)
		if err == nil && (len(cs) != 1 || cs[0].fn != "eq" || cs[0].prop != "isAssignableToRole" || cs[0].str) {
			err = &filterError{"Unsupported or invalid query filter clause specified for property '" + cs[0].prop + "' of resource 'Group'."}
		}
		if err != nil {
			graphErr(w, s.now, http.StatusBadRequest, "Request_UnsupportedQuery", err.Error())
			return
		}
		onlyAssignable = cs[0].value == "true"
	}
	var vals []map[string]any
	for gid, g := range s.groups {
		if !contains(lowered(g.Members), id) || (onlyAssignable && !g.RoleAssignable) {
			continue // direct membership, as memberOf reports
		}
		vals = append(vals, map[string]any{"@odata.type": "#microsoft.graph.group", "id": gid, "displayName": g.DisplayName})
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i]["id"].(string) < vals[j]["id"].(string) })
	writeJSON(w, http.StatusOK, map[string]any{"@odata.count": len(vals), "value": vals})
}

func lowered(ids []string) []string {
	out := make([]string, len(ids))
	for i, v := range ids {
		out[i] = strings.ToLower(v)
	}
	return out
}

// principalFilter parses the one filter role reads accept: principalId eq '<guid>'.
func (s *Server) principalFilter(w http.ResponseWriter, q url.Values) (string, bool) {
	cs, err := parseFilter(q.Get("$filter"))
	if err == nil {
		err = allow(cs, "eq:principalId")
	}
	if err == nil && (len(cs) != 1 || !cs[0].str) {
		err = &filterError{"Unsupported query."}
	}
	if err != nil {
		graphErr(w, s.now, http.StatusBadRequest, "BadRequest", err.Error())
		return "", false
	}
	if e := q.Get("$expand"); e != "" && e != "roleDefinition" && e != "principal" {
		graphErr(w, s.now, http.StatusBadRequest, "BadRequest", "Could not find a property named '"+e+"' on type 'microsoft.graph.unifiedRoleAssignment'.")
		return "", false
	}
	return strings.ToLower(cs[0].value), true
}

func (s *Server) roleList(w http.ResponseWriter, q url.Values, roles []Role) {
	principal, ok := s.principalFilter(w, q)
	if !ok {
		return
	}
	vals := []map[string]any{}
	for _, r := range roles {
		if strings.ToLower(r.Principal) != principal {
			continue
		}
		scope := r.Scope
		if scope == "" {
			scope = "/"
		}
		def := stableID("role", r.Name)
		v := map[string]any{"id": stableID("assignment", r.Principal+r.Name), "principalId": r.Principal,
			"roleDefinitionId": def, "directoryScopeId": scope}
		if q.Get("$expand") == "roleDefinition" {
			v["roleDefinition"] = map[string]any{"id": def, "displayName": r.Name, "isBuiltIn": true}
		}
		vals = append(vals, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": vals})
}

func (s *Server) roleAssignments(w http.ResponseWriter, _ *http.Request, _ string, q url.Values) {
	roles := append([]Role(nil), s.active...)
	for name, on := range s.appRoles {
		if on {
			roles = append(roles, Role{Principal: appSPID, Name: name})
		}
	}
	s.roleList(w, q, roles)
}

func (s *Server) roleEligibility(w http.ResponseWriter, _ *http.Request, _ string, q url.Values) {
	if s.noPIM {
		graphErr(w, s.now, http.StatusBadRequest, "AadPremiumLicenseRequired",
			"The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.")
		return
	}
	s.roleList(w, q, s.eligible)
}

func (s *Server) getGroup(w http.ResponseWriter, _ *http.Request, id string, q url.Values) {
	g := s.groups[id]
	if g == nil {
		notFound(w, s, id)
		return
	}
	if sel := q.Get("$select"); sel != "" && sel != "id,displayName" && sel != "id" && sel != "displayName" {
		graphErr(w, s.now, http.StatusBadRequest, "BadRequest", "Parsing OData Select and Expand failed.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": g.ID, "displayName": g.DisplayName})
}

// servicePrincipal answers for the app itself and for Microsoft Graph.
func (s *Server) servicePrincipal(w http.ResponseWriter, _ *http.Request, appID string, q url.Values) {
	switch strings.ToLower(appID) {
	case ClientID:
		writeJSON(w, http.StatusOK, map[string]any{"id": appSPID, "appId": ClientID})
	case GraphAppID:
		var roles []map[string]any
		for _, p := range allPermissions {
			roles = append(roles, map[string]any{"id": stableID("approle", p), "value": p, "allowedMemberTypes": []string{"Application"}})
		}
		out := map[string]any{"id": graphSPID, "appId": GraphAppID}
		if strings.Contains(q.Get("$select"), "appRoles") || q.Get("$select") == "" {
			out["appRoles"] = roles
		}
		writeJSON(w, http.StatusOK, out)
	default:
		notFound(w, s, appID)
	}
}

// allPermissions are the Graph application permissions the fake knows.
var allPermissions = []string{"User.Read.All", "User.ReadWrite.All", "User-PasswordProfile.ReadWrite.All",
	"User.RevokeSessions.All", "RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory",
	"RoleEligibilitySchedule.Read.Directory", "GroupMember.Read.All", "Group.Read.All", "Directory.Read.All",
	"Directory.ReadWrite.All", "Application.Read.All", "AuditLog.Read.All",
	"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "User.EnableDisableAccount.All"}

func (s *Server) appRoleAssignments(w http.ResponseWriter, _ *http.Request, appID string, _ url.Values) {
	if strings.ToLower(appID) != ClientID {
		notFound(w, s, appID)
		return
	}
	vals := []map[string]any{}
	for _, p := range allPermissions {
		if s.perms[p] {
			vals = append(vals, map[string]any{"id": stableID("grant", p), "appRoleId": stableID("approle", p),
				"principalId": appSPID, "resourceId": graphSPID, "principalType": "ServicePrincipal"})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": vals})
}
