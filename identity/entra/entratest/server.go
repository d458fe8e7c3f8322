// Package entratest is a strict, stateful fake of the Microsoft identity
// platform token endpoint (v2) and the Microsoft Graph v1.0 endpoints that
// identity/entra uses, as an httptest server. It refuses what Graph
// refuses: a missing or expired bearer token, an unknown query option, a
// $filter outside the small OData subset it parses, an advanced query
// without ConsistencyLevel, a PATCH body with anything but passwordProfile,
// a weak password, a cloud password write on a synced user, and calls the
// app has no permission for. Tests set users, groups, roles and app
// permissions, inject throttling and failures, and read per-endpoint counts.
//
// Shapes follow Microsoft's published reference (read through the search
// tool's docs corpus, 2025/2026 copies):
//   - Microsoft identity platform and the OAuth 2.0 client credentials flow
//     (learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow):
//     form fields, token response, error body (error, error_description,
//     error_codes, trace_id, correlation_id); AADSTS error code reference.
//   - Microsoft Graph REST API v1.0: List users (user-list), Get user
//     (user-get), Update user (user-update, passwordProfile, Example 3),
//     passwordProfile resource type, user: revokeSignInSessions,
//     user: checkMemberGroups (at most 20 ids), List memberOf,
//     List unifiedRoleAssignments (roleManagement/directory/roleAssignments,
//     $filter on principalId, $expand=roleDefinition),
//     List roleEligibilityScheduleInstances, List manager (user-list-manager:
//     GET /users/{id}/manager with $select, a user or orgContact, 404
//     Request_ResourceNotFound when none; a $select inside
//     $expand=manager needs $levels, an advanced query, so it is not served),
//     user resource type (profile properties, otherMails and
//     businessPhones as String collections, employeeHireDate a
//     DateTimeOffset), Get servicePrincipal
//     (servicePrincipals(appId='...')), List appRoleAssignments granted
//     to a service principal, Get group, Get organization.
//   - Add members (group-post-members: POST /groups/{id}/members/$ref with
//     {"@odata.id": ".../directoryObjects/{id}"}, 204; a member already
//     there is 400 "One or more added object references already exist for
//     the following modified properties: 'members'.") and Remove member
//     (group-delete-members: DELETE /groups/{id}/members/{id}/$ref, 204,
//     404 when not a direct member); application permission for both
//     GroupMember.ReadWrite.All, or Group.ReadWrite.All /
//     Directory.ReadWrite.All (learn.microsoft.com/graph/api/group-delete-members,
//     powershell/module/microsoft.graph.groups/new-mggroupmemberbyref).
//   - Update user (user-update; permissions include, api-reference
//     user-update-permissions.md in microsoftgraph/microsoft-graph-docs-contrib):
//     accountEnabled needs User.EnableDisableAccount.All (with
//     User.Read.All) or User.ReadWrite.All / Directory.ReadWrite.All; it is
//     a sensitive property (an admin's needs a privileged role) and, like
//     the password, not writable on an on-premises mastered object.
//   - "Use query parameters" and "Advanced query capabilities on Microsoft
//     Entra ID objects" (ConsistencyLevel: eventual with $count=true).
//   - "Microsoft Graph error responses and resource types" (error.code,
//     error.message, innerError.request-id/date) and "Throttling"
//     (429 with Retry-After in seconds).
//   - Error texts seen in Graph answers and quoted in public issue threads:
//     AadPremiumLicenseRequired, Authentication_RequestFromNonPremiumTenantOrB2CTenant,
//     "Unable to update the specified properties for on-premises mastered
//     Directory Sync objects ...", Request_ResourceNotFound.
package entratest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Fixed identities of the fake tenant.
const (
	TenantID   = "8f6b3c2e-1d4a-4b7e-9c0f-2a1b3c4d5e6f"
	ClientID   = "4a1e2b3c-5d6e-4f70-8a9b-0c1d2e3f4a5b"
	Secret     = "fake~client~secret~do-not-use"
	GraphAppID = "00000003-0000-0000-c000-000000000000"

	appSPID   = "5b2f3c4d-6e7f-4a81-9b2c-3d4e5f6a7b8c"
	graphSPID = "6c3a4d5e-7f80-4b92-8c3d-4e5f6a7b8c9d"
)

// Server is the fake. All exported fields may be changed under Lock/Unlock
// or through the setter methods.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	now      time.Time
	TokenTTL time.Duration

	users     map[string]*User // by id
	groups    map[string]*Group
	active    []Role
	eligible  []Role
	perms     map[string]bool // application permissions granted (values)
	appRoles  map[string]bool // directory roles held by the app's service principal
	noPIM     bool            // eligibility answers AadPremiumLicenseRequired
	premium   bool            // signInActivity readable
	tokens    map[string]time.Time
	calls     map[string]int
	faults    map[string][]fault
	Unneeded  int // requests that sent ConsistencyLevel where no advanced query needed it
	Requests  []string
	lastQuery map[string]string // endpoint → last raw query, for tests
}

// User is a fake Entra user.
type User struct {
	ID, UPN, Mail, MailNickname, DisplayName string
	Enabled                                  bool
	Synced                                   bool // onPremisesSyncEnabled
	Writeback                                bool // password write-back on: a cloud write is accepted
	SamAccountName, OnPremDomain             string
	PasswordChanged                          time.Time
	LastSignIn                               time.Time
	Password                                 string // last written (tests check it arrived)
	ForceChange, ForceChangeMFA              bool
	Revoked                                  int // revokeSignInSessions calls
	EnabledWrites                            int // PATCHes of accountEnabled
	// Manager is the manager's object id ("" for none).
	Manager string
	// Props are profile properties by Graph name (profile.go): a string,
	// a []string for a collection, a time.Time for employeeHireDate.
	Props map[string]any
}

// Group is a fake group; Members are user or group ids (nesting is transitive).
type Group struct {
	ID, DisplayName string
	RoleAssignable  bool
	Members         []string
}

// Role is one directory role assignment or eligibility.
type Role struct {
	Principal string
	Name      string
	Scope     string // "/" when empty
}

type fault struct {
	status     int
	code, msg  string
	retryAfter int
}

// New starts the fake with the permissions and role a correctly set-up app has.
func New() *Server {
	s := &Server{
		now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), TokenTTL: time.Hour,
		users: map[string]*User{}, groups: map[string]*Group{}, tokens: map[string]time.Time{},
		calls: map[string]int{}, faults: map[string][]fault{}, lastQuery: map[string]string{},
		perms: map[string]bool{}, appRoles: map[string]bool{"Helpdesk Administrator": true}, premium: true,
	}
	for _, p := range []string{"User.Read.All", "User-PasswordProfile.ReadWrite.All", "RoleManagement.Read.Directory",
		"GroupMember.Read.All", "User.RevokeSessions.All", "Application.Read.All", "AuditLog.Read.All"} {
		s.perms[p] = true
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// AuthorityURL and GraphURL are what entra.Config takes.
func (s *Server) AuthorityURL() string { return s.URL + "/login" }
func (s *Server) GraphURL() string     { return s.URL + "/v1.0" }

// AddUser stores u (a copy); its ID must be a GUID the test chose.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.PasswordChanged.IsZero() {
		u.PasswordChanged = s.now.Add(-30 * 24 * time.Hour)
	}
	s.users[strings.ToLower(u.ID)] = &u
}

// User returns a copy of the stored user.
func (s *Server) User(id string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.users[strings.ToLower(id)]
}

func (s *Server) AddGroup(g Group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[strings.ToLower(g.ID)] = &g
}

func (s *Server) AddActiveRole(r Role) { s.mu.Lock(); s.active = append(s.active, r); s.mu.Unlock() }
func (s *Server) AddEligibleRole(r Role) {
	s.mu.Lock()
	s.eligible = append(s.eligible, r)
	s.mu.Unlock()
}

// SetNoPIM makes eligibility reads answer as a tenant without P2.
func (s *Server) SetNoPIM(v bool) { s.mu.Lock(); s.noPIM = v; s.mu.Unlock() }

// SetPremium makes signInActivity readable (true) or 403 (false).
func (s *Server) SetPremium(v bool) { s.mu.Lock(); s.premium = v; s.mu.Unlock() }

// SetPermission grants or removes an application permission.
func (s *Server) SetPermission(p string, on bool) { s.mu.Lock(); s.perms[p] = on; s.mu.Unlock() }

// SetAppRole gives or takes a directory role from the app's service principal.
func (s *Server) SetAppRole(r string, on bool) { s.mu.Lock(); s.appRoles[r] = on; s.mu.Unlock() }

// Advance moves the fake's clock (token expiry, password stamps).
func (s *Server) Advance(d time.Duration) { s.mu.Lock(); s.now = s.now.Add(d); s.mu.Unlock() }

// Throttle makes the next n calls to endpoint answer 429 with Retry-After.
func (s *Server) Throttle(endpoint string, n, retryAfterSeconds int) {
	s.Fail(endpoint, n, http.StatusTooManyRequests, "TooManyRequests", "Too many requests.", retryAfterSeconds)
}

// Fail makes the next n calls to endpoint answer status with Graph's error shape.
func (s *Server) Fail(endpoint string, n, status int, code, msg string, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[endpoint] = append(s.faults[endpoint], fault{status, code, msg, retryAfter})
	}
}

// Calls returns how many requests reached endpoint ("token", "GET /users", ...).
func (s *Server) Calls(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[endpoint]
}

// LastQuery returns the decoded $filter of the last request to endpoint.
func (s *Server) LastQuery(endpoint string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastQuery[endpoint]
}

// graphErr writes Graph's error body with a fresh request-id.
func graphErr(w http.ResponseWriter, now time.Time, status int, code, msg string) {
	id := newID()
	w.Header().Set("request-id", id)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]string{"date": now.Format("2006-01-02T15:04:05"), "request-id": id, "client-request-id": id},
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("request-id", newID())
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// newID returns a random GUID-shaped id.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}
