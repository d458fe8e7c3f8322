package entra

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

// propKind is how a Graph user property reads into Account.Attributes.
type propKind int

const (
	propString propKind = iota
	propList            // a String collection: its first value, as ldap reads a multi-valued attribute
	propDate            // a DateTimeOffset: its date (2006-01-02), what a person would say
)

// verifyProps are the user properties (Microsoft Graph v1.0 user resource
// type) an org may verify a caller against: plain profile text a
// User.Read.All app can read. Secrets, sign-in data and lifecycle dates
// that need other permissions are not offered.
var verifyProps = map[string]propKind{
	"mail": propString, "mobilePhone": propString, "businessPhones": propList, "otherMails": propList,
	"employeeId": propString, "employeeType": propString, "employeeHireDate": propDate,
	"department": propString, "jobTitle": propString, "officeLocation": propString, "companyName": propString,
	"givenName": propString, "surname": propString, "city": propString, "state": propString,
	"country": propString, "postalCode": propString, "streetAddress": propString, "faxNumber": propString,
}

// VerifyProperty returns the Graph spelling of a user property an org may
// verify against; Graph's names are not case-sensitive, our keys are.
func VerifyProperty(name string) (string, bool) {
	for p := range verifyProps {
		if strings.EqualFold(p, name) {
			return p, true
		}
	}
	return "", false
}

// VerifyProperties lists them, sorted, for a config error.
func VerifyProperties() []string {
	out := make([]string, 0, len(verifyProps))
	for p := range verifyProps {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// checkVerifyAttributes refuses a name Graph has no readable property for.
func checkVerifyAttributes(names []string) error {
	for _, a := range names {
		if _, ok := VerifyProperty(a); !ok {
			return &ConfigError{"verify_attributes", fmt.Sprintf("%q is not a Microsoft Graph user property unlockbot reads; use one of %s",
				a, strings.Join(VerifyProperties(), ", "))}
		}
	}
	return nil
}

// profile fills the facts only Lookup reports that are the person's, not
// the guard's: the configured verification properties (only when there
// are any) and the manager. They are compared or used as addresses,
// never logged (Account.Attributes).
func (d *Directory) profile(ctx context.Context, a *identity.Account) error {
	s, ok := seg(a.ID)
	if !ok {
		return fmt.Errorf("account ID %q is not an object id: %w", a.ID, identity.ErrNotFound)
	}
	if err := d.manager(ctx, s, a); err != nil {
		return err
	}
	if len(d.cfg.VerifyAttributes) == 0 {
		return nil
	}
	sel := append([]string{"id"}, d.cfg.VerifyAttributes...)
	var out map[string]json.RawMessage
	err := d.do(ctx, call{method: http.MethodGet, path: "/users/" + s, query: url.Values{"$select": {strings.Join(sel, ",")}}, idempotent: true}, &out)
	if err != nil {
		return err
	}
	a.Attributes = make(map[string]string, len(d.cfg.VerifyAttributes))
	for _, p := range d.cfg.VerifyAttributes {
		if v := propValue(verifyProps[p], out[p]); v != "" {
			a.Attributes[p] = v
		}
	}
	return nil
}

// manager reads the manager's object id with List manager. Graph answers
// 404 Request_ResourceNotFound when none is set: no manager, not an error
// (the user itself was found just now). $expand=manager($select=id) on the
// user would save the call, but Graph wants $levels with a nested $select,
// and $levels is an advanced query (ConsistencyLevel: eventual).
func (d *Directory) manager(ctx context.Context, userSeg string, a *identity.Account) error {
	var m struct {
		Type string `json:"@odata.type"`
		ID   string `json:"id"`
	}
	err := d.do(ctx, call{method: http.MethodGet, path: "/users/" + userSeg + "/manager", query: url.Values{"$select": {"id"}}, idempotent: true}, &m)
	if graphStatus(err) == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	// An orgContact can be a manager too; only a user can be looked up
	// and told, so a contact is no manager here.
	if m.Type == "#microsoft.graph.user" && isGUID(m.ID) {
		a.Manager = m.ID
	}
	return nil
}

// propValue reads one property's JSON as text; null, empty and anything
// of another shape read as "" (nothing to compare with).
func propValue(k propKind, raw json.RawMessage) string {
	switch k {
	case propList:
		var vs []string
		_ = json.Unmarshal(raw, &vs)
		if i := slices.IndexFunc(vs, func(v string) bool { return strings.TrimSpace(v) != "" }); i >= 0 {
			return vs[i]
		}
		return ""
	case propDate:
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return ""
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t.UTC().Format(time.DateOnly)
		}
		return ""
	}
	var v string
	_ = json.Unmarshal(raw, &v)
	return v
}
