package entratest

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// profileProps are the user's profile properties the fake holds (in
// User.Props) and $select may name, as the user resource type lists them;
// true marks a String collection (rendered [] when unset, as Graph does),
// false a String or a DateTimeOffset (null when unset). employeeHireDate
// is a DateTimeOffset: set it as a time.Time. Graph has more; a property
// not listed here is refused like one Graph does not have.
var profileProps = map[string]bool{
	"businessPhones": true, "otherMails": true, "mobilePhone": false, "employeeId": false, "employeeType": false,
	"employeeHireDate": false, "department": false, "jobTitle": false, "officeLocation": false, "companyName": false,
	"givenName": false, "surname": false, "city": false, "state": false, "country": false, "postalCode": false,
	"streetAddress": false, "faxNumber": false,
}

// renderProfile adds u's profile properties to all.
func renderProfile(u *User, all map[string]any) {
	for p, many := range profileProps {
		v, ok := u.Props[p]
		switch {
		case !ok && many:
			all[p] = []string{}
		case !ok:
			all[p] = nil
		default:
			if t, isTime := v.(time.Time); isTime {
				v = t.UTC().Format(time.RFC3339)
			}
			all[p] = v
		}
	}
}

// managerExpandRE is the one $expand Get user accepts here: the manager
// navigation property, optionally with a nested $select ("Get user",
// Optional query parameters; "List manager", Example 2 uses
// $expand=manager($levels=max;$select=id,displayName) in v1.0).
var managerExpandRE = regexp.MustCompile(`^manager(\(\$select=([A-Za-z,]+)\))?$`)

// managerProps a nested $select may name on the manager (a directoryObject:
// user or orgContact).
var managerProps = []string{"id", "displayName", "mail", "userPrincipalName"}

// expandManager renders u's manager into out for $expand=manager. A user
// without a manager has no manager property at all in the answer; an
// unknown $expand is Graph's 400.
func (s *Server) expandManager(w http.ResponseWriter, q url.Values, u *User, out map[string]any) bool {
	e := q.Get("$expand")
	if e == "" {
		return true
	}
	m := managerExpandRE.FindStringSubmatch(e)
	if m == nil {
		graphErr(w, s.now, http.StatusBadRequest, "BadRequest", "Parsing OData Select and Expand failed: Could not find a property named '"+e+"' on type 'microsoft.graph.user'.")
		return false
	}
	props := managerProps
	if m[2] != "" {
		props = strings.Split(m[2], ",")
		for _, p := range props {
			if !contains(managerProps, p) {
				graphErr(w, s.now, http.StatusBadRequest, "BadRequest", "Parsing OData Select and Expand failed: Could not find a property named '"+p+"' on type 'microsoft.graph.directoryObject'.")
				return false
			}
		}
	}
	mgr := s.users[strings.ToLower(u.Manager)]
	if mgr == nil {
		return true
	}
	all := map[string]any{"id": mgr.ID, "displayName": mgr.DisplayName, "mail": nullable(mgr.Mail), "userPrincipalName": mgr.UPN}
	v := map[string]any{"@odata.type": "#microsoft.graph.user"}
	for _, p := range props {
		v[p] = all[p]
	}
	out["manager"] = v
	return true
}
