package entra

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/unlockbot/unlockbot/identity"
)

// GraphAppID is Microsoft Graph's own application id in every tenant; its
// service principal lists the application permissions (appRoles) by id.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

// CheckResult is one line of `unlockbot check` for an Entra directory.
type CheckResult struct {
	Name    string // "token", "permission User.Read.All", "directory role", "deny group <id>"
	OK      bool
	Warning bool   // OK, but worth a look
	Detail  string // what was found, or what to fix
}

// need is one application permission and the broader ones that cover it.
type need struct {
	name    string
	covered []string
	why     string
}

// needs lists what the bot uses, least privileged first.
func (d *Directory) needs() []need {
	n := []need{
		{"User.Read.All", []string{"User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}, "find accounts"},
		{"User-PasswordProfile.ReadWrite.All", []string{"User.ReadWrite.All"}, "reset passwords"},
		{"RoleManagement.Read.Directory", []string{"RoleManagement.ReadWrite.Directory"}, "see admin roles, active and PIM-eligible"},
		{"GroupMember.Read.All", []string{"Group.Read.All", "Directory.Read.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"}, "see deny-group and role-group membership"},
	}
	lock := d.cfg.IntentionalLockGroup != ""
	if d.cfg.revoke() || lock {
		n = append(n, need{"User.RevokeSessions.All", []string{"User.ReadWrite.All", "Directory.ReadWrite.All"}, "sign users out after a reset or a /lock"})
	}
	if lock {
		n = append(n,
			need{"GroupMember.ReadWrite.All", []string{"Group.ReadWrite.All", "Directory.ReadWrite.All"}, "add accounts to the intentional-lock group (/lock) or remove them"},
			need{"User.EnableDisableAccount.All", []string{"User.ReadWrite.All", "Directory.ReadWrite.All"}, "disable an account on /lock (lock_mode disable) or enable it on release"})
	}
	return n
}

// resetRoles are the directory roles that let an app reset passwords;
// the first two are the least privileged and refuse admins' passwords by
// themselves. The broad ones work but turn any flaw into a tenant compromise.
var (
	resetRoles = []string{"Helpdesk Administrator", "Password Administrator", "User Administrator", "Authentication Administrator"}
	broadRoles = []string{"Global Administrator", "Privileged Authentication Administrator", "Privileged Role Administrator"}
)

type appRoleAssignment struct {
	AppRoleID  string `json:"appRoleId"`
	ResourceID string `json:"resourceId"`
}

// Check reports, one line each: the token, every application permission
// the bot needs (each missing one named), the app's directory role, every
// deny group and the intentional-lock group. It never stops at the first problem.
func (d *Directory) Check(ctx context.Context) []CheckResult {
	if _, err := d.tokens.get(ctx); err != nil {
		return []CheckResult{{Name: "token", Detail: safe(err)}}
	}
	out := []CheckResult{{Name: "token", OK: true, Detail: "signed in to tenant " + d.cfg.TenantID + " as app " + d.cfg.ClientID}}
	out = append(out, d.checkPermissions(ctx)...)
	for _, g := range d.cfg.DenyGroups {
		out = append(out, d.checkGroup(ctx, "deny group ", "deny_groups", g))
	}
	if g := d.cfg.IntentionalLockGroup; g != "" {
		out = append(out, d.checkGroup(ctx, "intentional-lock group ", "intentional_lock_group", g))
	}
	return out
}

func (d *Directory) checkPermissions(ctx context.Context) []CheckResult {
	var self struct {
		ID string `json:"id"`
	}
	app := "/servicePrincipals(appId='" + d.cfg.ClientID + "')" // a validated GUID
	if err := d.do(ctx, call{method: http.MethodGet, path: app, query: url.Values{"$select": {"id"}}, idempotent: true}, &self); err != nil {
		return []CheckResult{{Name: "permissions", Detail: "The app's permissions could not be read: " + safe(classify("entra.Check", actReadApp, err)) + " Check them by hand under App registrations → API permissions."}}
	}
	var graph struct {
		ID       string `json:"id"`
		AppRoles []struct {
			ID    string `json:"id"`
			Value string `json:"value"`
		} `json:"appRoles"`
	}
	if err := d.do(ctx, call{method: http.MethodGet, path: "/servicePrincipals(appId='" + GraphAppID + "')",
		query: url.Values{"$select": {"id,appRoles"}}, idempotent: true}, &graph); err != nil {
		return []CheckResult{{Name: "permissions", Detail: "Microsoft Graph's permission list could not be read: " + safe(classify("entra.Check", actReadApp, err))}}
	}
	assigned, err := list[appRoleAssignment](ctx, d, call{method: http.MethodGet, path: app + "/appRoleAssignments", idempotent: true})
	if err != nil {
		return []CheckResult{{Name: "permissions", Detail: "The app's permissions could not be read: " + safe(classify("entra.Check", actReadApp, err))}}
	}
	names := map[string]string{}
	for _, r := range graph.AppRoles {
		names[strings.ToLower(r.ID)] = r.Value
	}
	granted := map[string]bool{}
	for _, a := range assigned {
		if strings.EqualFold(a.ResourceID, graph.ID) {
			granted[names[strings.ToLower(a.AppRoleID)]] = true
		}
	}
	var out []CheckResult
	for _, n := range d.needs() {
		r := CheckResult{Name: "permission " + n.name}
		switch {
		case granted[n.name]:
			r.OK, r.Detail = true, "granted"
		case slices.ContainsFunc(n.covered, func(p string) bool { return granted[p] }):
			r.OK, r.Warning = true, true
			r.Detail = "covered by a broader permission; " + n.name + " alone is enough"
		default:
			r.Detail = "missing: the bot cannot " + n.why + ". Add the application permission " + n.name +
				" in Entra admin center → App registrations → API permissions, then Grant admin consent."
		}
		out = append(out, r)
	}
	return append(out, d.checkRole(ctx, self.ID))
}

// checkRole: app-only password resets also need a directory role on the
// app's service principal.
func (d *Directory) checkRole(ctx context.Context, sp string) CheckResult {
	r := CheckResult{Name: "directory role"}
	if !isGUID(sp) {
		r.Detail = "The app's service principal id was not returned; check the app under Enterprise applications."
		return r
	}
	held, err := d.roles(ctx, sp, "")
	if err != nil {
		r.Detail = "The app's directory roles could not be read: " + safe(classify("entra.Check", actReadRoles, err))
		return r
	}
	for _, h := range held {
		if slices.Contains(broadRoles, strings.TrimSuffix(h, " (eligible)")) {
			r.OK, r.Warning = true, true
			r.Detail = "the app holds " + h + ", far more than it needs: assign Helpdesk Administrator or Password Administrator instead"
			return r
		}
	}
	for _, h := range held {
		if slices.Contains(resetRoles, h) {
			r.OK, r.Detail = true, "the app holds "+h
			return r
		}
	}
	r.Detail = "The app holds no role that may reset passwords: assign it Helpdesk Administrator (or Password Administrator) in Entra admin center → Roles & admins."
	return r
}

// checkGroup reports whether group id, configured under key, exists.
func (d *Directory) checkGroup(ctx context.Context, name, key, id string) CheckResult {
	r := CheckResult{Name: name + id}
	s, _ := seg(id) // validated by Config.Validate
	var g groupRef
	err := d.do(ctx, call{method: http.MethodGet, path: "/groups/" + s, query: url.Values{"$select": {"id,displayName"}}, idempotent: true}, &g)
	switch {
	case err == nil:
		r.OK, r.Detail = true, "exists ("+g.DisplayName+")"
	case graphStatus(err) == http.StatusNotFound:
		r.Detail = "does not exist in this tenant: fix " + key + " (use the group's Object ID from its Overview page)"
	default:
		r.Detail = "could not be read: " + safe(classify("entra.Check", actReadGroups, err))
	}
	return r
}

// safe returns the technician's sentence of err.
func safe(err error) string {
	var ie *identity.Error
	if errors.As(err, &ie) && ie.Safe != "" {
		return ie.Safe
	}
	return "unexpected error"
}
