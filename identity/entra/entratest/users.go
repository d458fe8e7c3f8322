package entratest

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// userProps are the user properties $select may name here (and
// profileProps); signInActivity last, as List users here does not take it.
var userProps = []string{"id", "userPrincipalName", "mail", "mailNickname", "displayName", "accountEnabled",
	"onPremisesSyncEnabled", "onPremisesSamAccountName", "onPremisesDomainName", "lastPasswordChangeDateTime", "signInActivity"}

// selectProps parses $select; Graph answers 400 for an unknown property.
func (s *Server) selectProps(w http.ResponseWriter, q url.Values, known []string) ([]string, bool) {
	sel := q.Get("$select")
	if sel == "" {
		return known, true
	}
	props := strings.Split(sel, ",")
	for _, p := range props {
		if _, profile := profileProps[p]; !contains(known, p) && !profile {
			graphErr(w, s.now, http.StatusBadRequest, "BadRequest", "Parsing OData Select and Expand failed: Could not find a property named '"+p+"' on type 'microsoft.graph.user'.")
			return nil, false
		}
	}
	return props, true
}

func (s *Server) render(u *User, props []string) map[string]any {
	all := map[string]any{
		"id": u.ID, "userPrincipalName": u.UPN, "mail": nullable(u.Mail), "mailNickname": u.MailNickname,
		"displayName": u.DisplayName, "accountEnabled": u.Enabled, "onPremisesSyncEnabled": nil,
		"onPremisesSamAccountName": nullable(u.SamAccountName), "onPremisesDomainName": nullable(u.OnPremDomain),
		"lastPasswordChangeDateTime": u.PasswordChanged.UTC().Format(time.RFC3339),
	}
	if u.Synced {
		all["onPremisesSyncEnabled"] = true
	}
	renderProfile(u, all)
	if !u.LastSignIn.IsZero() {
		t := u.LastSignIn.UTC().Format(time.RFC3339)
		all["signInActivity"] = map[string]any{"lastSignInDateTime": t, "lastSuccessfulSignInDateTime": t}
	} else {
		all["signInActivity"] = nil
	}
	out := map[string]any{}
	for _, p := range props {
		out[p] = all[p]
	}
	return out
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) organization(w http.ResponseWriter, _ *http.Request, _ string, q url.Values) {
	if q.Get("$select") != "" && q.Get("$select") != "id" {
		graphErr(w, s.now, http.StatusBadRequest, "BadRequest", "Parsing OData Select and Expand failed.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": []map[string]string{{"id": TenantID}}})
}

// listUsers supports the default (non-advanced) filters on users.
func (s *Server) listUsers(w http.ResponseWriter, _ *http.Request, _ string, q url.Values) {
	props, ok := s.selectProps(w, q, userProps[:len(userProps)-1])
	if !ok {
		return
	}
	top := 100
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 999 {
			graphErr(w, s.now, http.StatusBadRequest, "Request_BadRequest", "Invalid page size specified: '"+v+"'. Must be between 1 and 999 inclusive.")
			return
		}
		top = n
	}
	var cs []clause
	if f := q.Get("$filter"); f != "" {
		var err error
		if cs, err = parseFilter(f); err == nil {
			err = allow(cs, "startswith:displayName", "startswith:userPrincipalName", "startswith:mail", "startswith:mailNickname",
				"eq:userPrincipalName", "eq:mail", "eq:mailNickname", "eq:id", "eq:accountEnabled")
		}
		if err != nil {
			code := "BadRequest"
			if strings.HasPrefix(err.Error(), "Unsupported") {
				code = "Request_UnsupportedQuery"
			}
			graphErr(w, s.now, http.StatusBadRequest, code, err.Error())
			return
		}
	}
	var hits []*User
	for _, u := range s.users {
		if matches(u, cs) {
			hits = append(hits, u)
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].ID < hits[j].ID })
	if len(hits) > top {
		hits = hits[:top]
	}
	vals := make([]map[string]any, 0, len(hits))
	for _, u := range hits {
		vals = append(vals, s.render(u, props))
	}
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": s.GraphURL() + "/$metadata#users", "value": vals})
}

// matches: any clause (they are joined by or); startswith and eq compare
// case-insensitively, as Graph does for these properties.
func matches(u *User, cs []clause) bool {
	if len(cs) == 0 {
		return true
	}
	field := map[string]string{"displayName": u.DisplayName, "userPrincipalName": u.UPN, "mail": u.Mail,
		"mailNickname": u.MailNickname, "id": u.ID, "accountEnabled": strconv.FormatBool(u.Enabled)}
	for _, c := range cs {
		v := strings.ToLower(field[c.prop])
		if v == "" {
			continue
		}
		if c.fn == "startswith" && strings.HasPrefix(v, strings.ToLower(c.value)) || c.fn == "eq" && v == strings.ToLower(c.value) {
			return true
		}
	}
	return false
}

// getUser answers by object id or UPN; signInActivity needs a premium tenant.
func (s *Server) getUser(w http.ResponseWriter, _ *http.Request, id string, q url.Values) {
	props, ok := s.selectProps(w, q, userProps)
	if !ok {
		return
	}
	u := s.lookup(id)
	if u == nil {
		notFound(w, s, id)
		return
	}
	if contains(props, "signInActivity") && (!s.premium || !s.perms["AuditLog.Read.All"]) {
		code, msg := "Authentication_RequestFromNonPremiumTenantOrB2CTenant", "Neither tenant is B2C or tenant doesn't have premium license"
		if s.premium {
			code, msg = "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
		}
		graphErr(w, s.now, http.StatusForbidden, code, msg)
		return
	}
	writeJSON(w, http.StatusOK, s.render(u, props))
}

func (s *Server) lookup(id string) *User {
	if u := s.users[id]; u != nil {
		return u
	}
	for _, u := range s.users {
		if strings.EqualFold(u.UPN, id) {
			return u
		}
	}
	return nil
}

func notFound(w http.ResponseWriter, s *Server, id string) {
	graphErr(w, s.now, http.StatusNotFound, "Request_ResourceNotFound",
		"Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
}

// patchUser accepts passwordProfile or accountEnabled, one per request, as
// unlockbot sends them, each with its own permission.
func (s *Server) patchUser(w http.ResponseWriter, r *http.Request, id string, _ url.Values) {
	u := s.users[id]
	if u == nil {
		notFound(w, s, id)
		return
	}
	var body struct {
		PasswordProfile *struct {
			Password       *string `json:"password"`
			ForceChange    *bool   `json:"forceChangePasswordNextSignIn"`
			ForceChangeMFA *bool   `json:"forceChangePasswordNextSignInWithMfa"`
		} `json:"passwordProfile"`
		AccountEnabled *bool `json:"accountEnabled"`
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || decode(r, &body) != nil ||
		(body.PasswordProfile == nil) == (body.AccountEnabled == nil) ||
		(body.PasswordProfile != nil && body.PasswordProfile.Password == nil) {
		graphErr(w, s.now, http.StatusBadRequest, "BadRequest", "Invalid request body: only passwordProfile with a password, or accountEnabled, is accepted here.")
		return
	}
	if body.AccountEnabled != nil {
		s.setEnabled(w, u, *body.AccountEnabled)
		return
	}
	if !s.granted([]string{"User-PasswordProfile.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"}) {
		graphErr(w, s.now, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	if u.Synced && !u.Writeback {
		graphErr(w, s.now, http.StatusBadRequest, "Request_BadRequest",
			"Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.")
		return
	}
	pw := *body.PasswordProfile.Password
	if !complex(pw) {
		graphErr(w, s.now, http.StatusBadRequest, "Request_BadRequest",
			"The specified password does not comply with password complexity requirements. Please provide a different password.")
		return
	}
	p := body.PasswordProfile
	u.Password = pw
	u.ForceChange = p.ForceChange != nil && *p.ForceChange
	u.ForceChangeMFA = p.ForceChangeMFA != nil && *p.ForceChangeMFA
	next := s.now
	if !next.After(u.PasswordChanged) {
		next = u.PasswordChanged.Add(time.Second)
	}
	u.PasswordChanged = next
	w.Header().Set("request-id", newID())
	w.WriteHeader(http.StatusNoContent)
}

// complex is Entra's default cloud rule: 8 to 256 characters, three of
// lower case, upper case, digits and symbols.
func complex(pw string) bool {
	n := len([]rune(pw))
	if n < 8 || n > 256 {
		return false
	}
	var lo, up, dg, sy int
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lo = 1
		case unicode.IsUpper(r):
			up = 1
		case unicode.IsDigit(r):
			dg = 1
		default:
			sy = 1
		}
	}
	return lo+up+dg+sy >= 3
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request, id string, _ url.Values) {
	u := s.users[id]
	if u == nil {
		notFound(w, s, id)
		return
	}
	u.Revoked++
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": s.GraphURL() + "/$metadata#Edm.Boolean", "value": true})
}
