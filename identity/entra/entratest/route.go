package entratest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// route is one Graph endpoint: the query options it accepts, the
// permissions any one of which allows it, and its handler.
type route struct {
	options []string
	perms   []string
	handle  func(s *Server, w http.ResponseWriter, r *http.Request, id string, q url.Values)
}

var (
	userPerms  = []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All"}
	roleRead   = []string{"RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory"}
	groupPerms = []string{"GroupMember.Read.All", "Group.Read.All", "Directory.Read.All"}
	appPerms   = []string{"Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All"}
	groupWrite = []string{"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}
	// patchPerms allow PATCH /users/{id} at all; patchUser then checks
	// the permission of each property sent.
	patchPerms = []string{"User-PasswordProfile.ReadWrite.All", "User.EnableDisableAccount.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}
)

var routes = map[string]route{
	"GET /organization":                              {[]string{"$select"}, userPerms, (*Server).organization},
	"GET /users":                                     {[]string{"$filter", "$select", "$top"}, userPerms, (*Server).listUsers},
	"GET /users/{id}":                                {[]string{"$select"}, userPerms, (*Server).getUser},
	"GET /users/{id}/manager":                        {[]string{"$select"}, userPerms, (*Server).manager},
	"PATCH /users/{id}":                              {nil, patchPerms, (*Server).patchUser},
	"POST /users/{id}/revokeSignInSessions":          {nil, []string{"User.RevokeSessions.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}, (*Server).revoke},
	"POST /users/{id}/checkMemberGroups":             {nil, groupPerms, (*Server).checkMemberGroups},
	"GET /users/{id}/memberOf/microsoft.graph.group": {[]string{"$filter", "$select", "$count"}, groupPerms, (*Server).memberOf},
	"GET /roleManagement/directory/roleAssignments":  {[]string{"$filter", "$expand"}, roleRead, (*Server).roleAssignments},
	"GET /roleManagement/directory/roleEligibilityScheduleInstances": {[]string{"$filter", "$expand"},
		append([]string{"RoleEligibilitySchedule.Read.Directory"}, roleRead...), (*Server).roleEligibility},
	"GET /groups/{id}":                                  {[]string{"$select"}, groupPerms, (*Server).getGroup},
	"POST /groups/{id}/members/$ref":                    {nil, groupWrite, (*Server).addMember},
	"DELETE /groups/{id}/members/{member}/$ref":         {nil, groupWrite, (*Server).removeMember},
	"GET /servicePrincipals(appId=)":                    {[]string{"$select"}, appPerms, (*Server).servicePrincipal},
	"GET /servicePrincipals(appId=)/appRoleAssignments": {nil, appPerms, (*Server).appRoleAssignments},
}

var spRE = regexp.MustCompile(`^/servicePrincipals\(appId='([0-9a-fA-F-]{36})'\)(/appRoleAssignments)?$`)

// endpoint names a request the way routes and Calls do, and extracts the id.
func endpoint(method, path string) (name, id string) {
	if m := spRE.FindStringSubmatch(path); m != nil {
		return method + " /servicePrincipals(appId=)" + m[2], m[1]
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) >= 2 && (parts[0] == "users" || parts[0] == "groups") {
		id, parts[1] = parts[1], "{id}"
	}
	if len(parts) == 5 && parts[0] == "groups" && parts[2] == "members" && parts[4] == "$ref" {
		parts[3] = "{member}" // the handler reads it from the path
	}
	return method + " /" + strings.Join(parts, "/"), id
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/login/") {
		s.token(w, r)
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/v1.0")
	name, id := endpoint(r.Method, path)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[name]++
	s.Requests = append(s.Requests, name)
	rt, known := routes[name]
	if !ok || !known {
		graphErr(w, s.now, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+path+"'.")
		return
	}
	if !s.authorized(w, r) {
		return
	}
	if f := s.faults[name]; len(f) > 0 {
		s.faults[name] = f[1:]
		if f[0].retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f[0].retryAfter))
		}
		graphErr(w, s.now, f[0].status, f[0].code, f[0].msg)
		return
	}
	q := r.URL.Query()
	for k := range q {
		if !contains(rt.options, k) {
			graphErr(w, s.now, http.StatusBadRequest, "BadRequest", "Unrecognized query argument specified: '"+k+"'.")
			return
		}
		if len(q[k]) != 1 {
			graphErr(w, s.now, http.StatusBadRequest, "BadRequest", "Query option '"+k+"' was specified more than once, but it must be specified at most once.")
			return
		}
	}
	s.lastQuery[name] = q.Get("$filter")
	if id != "" && !guidRE.MatchString(id) && !(name == "GET /users/{id}" && strings.Contains(id, "@")) {
		graphErr(w, s.now, http.StatusBadRequest, "Request_BadRequest", "Invalid object identifier '"+id+"'.")
		return
	}
	if !s.granted(rt.perms) {
		graphErr(w, s.now, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	if r.Header.Get("ConsistencyLevel") != "" && q.Get("$count") == "" {
		s.Unneeded++
	}
	rt.handle(s, w, r, strings.ToLower(id), q)
}

// authorized checks the bearer token: issued here and not expired.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	exp, issued := s.tokens[tok]
	switch {
	case !ok || tok == "":
		graphErr(w, s.now, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
	case !issued:
		graphErr(w, s.now, http.StatusUnauthorized, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed.")
	case !s.now.Before(exp):
		graphErr(w, s.now, http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
	default:
		return true
	}
	return false
}

func (s *Server) granted(any []string) bool {
	for _, p := range any {
		if s.perms[p] {
			return true
		}
	}
	return false
}

// token is the v2 token endpoint for the client-credentials grant.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["token"]++
	aad := func(status int, e, desc string, code int) {
		writeJSON(w, status, map[string]any{"error": e, "error_description": "AADSTS" + strconv.Itoa(code) + ": " + desc,
			"error_codes": []int{code}, "timestamp": s.now.Format("2006-01-02 15:04:05Z"), "trace_id": newID(), "correlation_id": newID()})
	}
	if f := s.faults["token"]; len(f) > 0 {
		s.faults["token"] = f[1:]
		writeJSON(w, f[0].status, map[string]any{"error": f[0].code, "error_description": f[0].msg})
		return
	}
	tenant, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/login/"), "/oauth2/v2.0/token")
	if r.Method != http.MethodPost || !ok {
		aad(http.StatusBadRequest, "invalid_request", "The request is not a token request.", 900561)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") || r.ParseForm() != nil {
		aad(http.StatusBadRequest, "invalid_request", "The request body must contain the following parameter: 'grant_type'.", 900144)
		return
	}
	f := r.PostForm
	switch {
	case tenant != TenantID:
		aad(http.StatusBadRequest, "invalid_request", "Tenant '"+tenant+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", 90002)
	case f.Get("grant_type") != "client_credentials":
		aad(http.StatusBadRequest, "unsupported_grant_type", "The provided value for the input parameter 'grant_type' is not valid.", 70003)
	case f.Get("client_id") != ClientID:
		aad(http.StatusBadRequest, "unauthorized_client", "Application with identifier '"+f.Get("client_id")+"' was not found in the directory.", 700016)
	case f.Get("client_secret") != Secret:
		aad(http.StatusUnauthorized, "invalid_client", "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+ClientID+"'.", 7000215)
	case f.Get("scope") != "https://graph.microsoft.com/.default":
		aad(http.StatusBadRequest, "invalid_scope", "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.", 1002012)
	default:
		tok := "fake." + newID()
		s.tokens[tok] = s.now.Add(s.TokenTTL)
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": int(s.TokenTTL / time.Second),
			"ext_expires_in": int(s.TokenTTL / time.Second), "access_token": tok})
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// decode reads a JSON body strictly: unknown fields are refused.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
