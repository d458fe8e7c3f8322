package entratest

import (
	"net/http"
	"net/url"
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

// managerProps a $select on the manager may name (a directoryObject: a
// user or an orgContact).
var managerProps = []string{"id", "displayName", "mail", "userPrincipalName"}

// manager is List manager (GET /users/{id}/manager, user-list-manager):
// the manager with its @odata.type, or 404 Request_ResourceNotFound when
// none is set (or the one set no longer exists). $expand=manager on Get
// user is not served: with a nested $select Graph wants $levels, which
// is an advanced query, and unlockbot does not send it.
func (s *Server) manager(w http.ResponseWriter, _ *http.Request, id string, q url.Values) {
	u := s.users[id]
	if u == nil {
		notFound(w, s, id)
		return
	}
	props := managerProps
	if sel := q.Get("$select"); sel != "" {
		props = strings.Split(sel, ",")
		for _, p := range props {
			if !contains(managerProps, p) {
				graphErr(w, s.now, http.StatusBadRequest, "BadRequest", "Parsing OData Select and Expand failed: Could not find a property named '"+p+"' on type 'microsoft.graph.directoryObject'.")
				return
			}
		}
	}
	mgr := s.users[strings.ToLower(u.Manager)]
	if mgr == nil {
		graphErr(w, s.now, http.StatusNotFound, "Request_ResourceNotFound",
			"Resource 'manager' does not exist or one of its queried reference-property objects are not present.")
		return
	}
	all := map[string]any{"id": mgr.ID, "displayName": mgr.DisplayName, "mail": nullable(mgr.Mail), "userPrincipalName": mgr.UPN}
	out := map[string]any{"@odata.context": s.GraphURL() + "/$metadata#directoryObjects/$entity", "@odata.type": "#microsoft.graph.user"}
	for _, p := range props {
		out[p] = all[p]
	}
	writeJSON(w, http.StatusOK, out)
}
