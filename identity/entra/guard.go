package entra

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/unlockbot/unlockbot/identity"
)

// checkMemberGroupsMax is Graph's limit of group ids per checkMemberGroups.
const checkMemberGroupsMax = 20

// roleRef is a role assignment or eligibility with its definition expanded.
type roleRef struct {
	PrincipalID      string `json:"principalId"`
	DirectoryScopeID string `json:"directoryScopeId"`
	RoleDefinition   *struct {
		DisplayName string `json:"displayName"`
	} `json:"roleDefinition"`
}

type groupRef struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// guard fills the guard facts. Any read that fails sets GuardUnavailable:
// an unknown is never taken as "not privileged". The reads run in parallel.
//
// ProtectedGroups holds the Entra directory roles the user holds: active
// ("Global Administrator"), PIM-eligible ("User Administrator (eligible)"),
// and either of those through a role-assignable group ("... via group
// Helpdesk Admins"). Role-assignable groups cannot contain groups, so
// direct membership is the whole story; membership that is itself only
// PIM-eligible (PIM for Groups) is not read: see docs/entra.md.
func (d *Directory) guard(ctx context.Context, a *identity.Account) {
	var (
		mu        sync.Mutex
		wg        sync.WaitGroup
		protected []string
		deny      []string
		failed    bool
	)
	run := func(f func() ([]string, error), into *[]string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			names, err := f()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = true
				return
			}
			*into = append(*into, names...)
		}()
	}
	run(func() ([]string, error) { return d.roles(ctx, a.ID, "") }, &protected)
	run(func() ([]string, error) { return d.groupRoles(ctx, a.ID) }, &protected)
	locked := false
	if len(d.checkedGroups()) > 0 {
		run(func() (names []string, err error) {
			names, locked, err = d.denyGroups(ctx, a.ID)
			return names, err
		}, &deny)
	}
	wg.Wait() // after it, locked is the goroutine's answer
	a.IntentionalLock = locked
	slices.Sort(protected)
	a.ProtectedGroups = slices.Compact(protected)
	a.DenyGroups = deny
	if failed {
		a.GuardUnavailable = true
	}
}

// roles returns the names of the roles principal holds, active and
// eligible. via names the group the roles come through, if any.
func (d *Directory) roles(ctx context.Context, principal, via string) ([]string, error) {
	filter := "principalId eq " + quote(principal)
	active, err := list[roleRef](ctx, d, call{method: http.MethodGet, path: "/roleManagement/directory/roleAssignments",
		query: url.Values{"$filter": {filter}, "$expand": {"roleDefinition"}}, idempotent: true})
	if err != nil {
		return nil, err
	}
	eligible, err := list[roleRef](ctx, d, call{method: http.MethodGet, path: "/roleManagement/directory/roleEligibilityScheduleInstances",
		query: url.Values{"$filter": {filter}, "$expand": {"roleDefinition"}}, idempotent: true})
	if err != nil && !noPIM(err) {
		return nil, err
	}
	suffix := ""
	if via != "" {
		suffix = " via group " + via
	}
	var names []string
	for _, r := range active {
		names = append(names, roleName(r)+suffix)
	}
	for _, r := range eligible {
		names = append(names, roleName(r)+" (eligible)"+suffix)
	}
	return names, nil
}

// noPIM: a tenant without Entra ID P2 / Governance answers
// AadPremiumLicenseRequired for eligibility. Such a tenant cannot hold
// eligible assignments, so this one answer counts as "none"; any other
// error leaves the guard unavailable.
func noPIM(err error) bool {
	return graphStatus(err) == http.StatusBadRequest && graphCode(err, "AadPremiumLicenseRequired")
}

func roleName(r roleRef) string {
	name := "an unnamed directory role"
	if r.RoleDefinition != nil && r.RoleDefinition.DisplayName != "" {
		name = r.RoleDefinition.DisplayName
	}
	if r.DirectoryScopeID != "" && r.DirectoryScopeID != "/" {
		name += " (scoped)"
	}
	return name
}

// groupRoles: roles assigned to role-assignable groups the user is in.
// Filtering memberOf on isAssignableToRole is an advanced query, so this
// is the one call that sends ConsistencyLevel: eventual and $count=true.
func (d *Directory) groupRoles(ctx context.Context, id string) ([]string, error) {
	s, _ := seg(id)
	groups, err := list[groupRef](ctx, d, call{method: http.MethodGet, path: "/users/" + s + "/memberOf/microsoft.graph.group",
		query:    url.Values{"$filter": {"isAssignableToRole eq true"}, "$select": {"id,displayName"}, "$count": {"true"}},
		eventual: true, idempotent: true})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, g := range groups {
		if !isGUID(g.ID) {
			continue
		}
		n, err := d.roles(ctx, g.ID, g.DisplayName)
		if err != nil {
			return nil, err
		}
		names = append(names, n...)
	}
	return names, nil
}

// checkedGroups are the ids one checkMemberGroups asks about: the deny
// groups and the intentional-lock group, each once.
func (d *Directory) checkedGroups() []string {
	ids := slices.Clone(d.cfg.DenyGroups)
	if g := d.cfg.IntentionalLockGroup; g != "" && !slices.ContainsFunc(ids, func(id string) bool { return strings.EqualFold(id, g) }) {
		ids = append(ids, g)
	}
	return ids
}

// denyGroups asks Graph which configured deny groups, and whether the
// intentional-lock group, the user is in, transitively (checkMemberGroups,
// the same call for both: one round trip up to 20 groups), and names the
// deny groups.
func (d *Directory) denyGroups(ctx context.Context, id string) (names []string, locked bool, err error) {
	s, _ := seg(id)
	var hits []string
	for ids := range slices.Chunk(d.checkedGroups(), checkMemberGroupsMax) {
		var out struct {
			Value []string `json:"value"`
		}
		err := d.do(ctx, call{method: http.MethodPost, path: "/users/" + s + "/checkMemberGroups",
			body: map[string][]string{"groupIds": ids}, idempotent: true}, &out)
		if err != nil {
			return nil, false, err
		}
		hits = append(hits, out.Value...)
	}
	names = make([]string, 0, len(hits))
	for _, g := range hits {
		if strings.EqualFold(g, d.cfg.IntentionalLockGroup) {
			locked = true
		}
		if slices.ContainsFunc(d.cfg.DenyGroups, func(x string) bool { return strings.EqualFold(x, g) }) {
			names = append(names, d.groupName(ctx, g))
		}
	}
	slices.Sort(names)
	return names, locked, nil
}

// groupName returns "Display Name (id)" for a deny group, read once; the
// id alone when the name cannot be read (the refusal stands either way).
func (d *Directory) groupName(ctx context.Context, id string) string {
	if v, ok := d.groupNames.Load(strings.ToLower(id)); ok {
		return v.(string)
	}
	s, ok := seg(id)
	if !ok {
		return id
	}
	var g groupRef
	if err := d.do(ctx, call{method: http.MethodGet, path: "/groups/" + s, query: url.Values{"$select": {"id,displayName"}}, idempotent: true}, &g); err != nil || g.DisplayName == "" {
		return id
	}
	name := g.DisplayName + " (" + id + ")"
	d.groupNames.Store(strings.ToLower(id), name)
	return name
}
