package entra

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/unlockbot/unlockbot/identity"
)

// Search is the type-ahead: users whose display name, UPN or mail start
// with query. It uses only Graph's default query capabilities (startswith
// and or on these three properties), so it sends neither ConsistencyLevel
// nor $count: an advanced query reads an eventually consistent index, so a
// user created a minute ago could be missing, and it costs more. Default
// queries cannot $orderby together with $filter, so results are sorted here.
//
// "Locked accounts first" does not apply: Graph shows no lockout. An empty
// query, which lists locked accounts elsewhere, returns nothing.
func (d *Directory) Search(ctx context.Context, query string, limit int) ([]identity.Account, error) {
	const op = "entra.(*Directory).Search"
	if strings.TrimSpace(query) == "" {
		return nil, nil
	}
	if err := checkText(query); err != nil {
		return nil, identity.E(op, identity.KindInvalid, fmt.Sprintf("The search text %v.", err), fmt.Errorf("query %w", err))
	}
	if limit <= 0 || limit > d.cfg.SearchLimit {
		limit = d.cfg.SearchLimit
	}
	q := quote(strings.TrimSpace(query))
	filter := "startswith(displayName," + q + ") or startswith(userPrincipalName," + q + ") or startswith(mail," + q + ")"
	users, err := d.users(ctx, filter, limit)
	if err != nil {
		return nil, classify(op, actReadUsers, err)
	}
	out := make([]identity.Account, 0, len(users))
	for _, u := range users {
		out = append(out, d.account(u))
	}
	slices.SortStableFunc(out, func(a, b identity.Account) int {
		return strings.Compare(strings.ToLower(a.Label()), strings.ToLower(b.Label()))
	})
	return out, nil
}

// users lists users matching filter (already built with quote).
func (d *Directory) users(ctx context.Context, filter string, top int) ([]user, error) {
	var out struct {
		Value []user `json:"value"`
	}
	q := url.Values{"$filter": {filter}, "$select": {userSelect}, "$top": {strconv.Itoa(top)}}
	err := d.do(ctx, call{method: http.MethodGet, path: "/users", query: q, idempotent: true}, &out)
	return out.Value, err
}

// Lookup finds exactly one user: by object id (a GUID), by UPN (the name
// has an @; an exact UPN wins, else mail must match exactly one), or by
// mailNickname. Then it fills every guard fact (guard.go) and the sign-in
// time when the tenant exposes it.
func (d *Directory) Lookup(ctx context.Context, name string) (identity.Account, error) {
	return d.lookup(ctx, "entra.(*Directory).Lookup", name, d.find)
}

var _ identity.MailFinder = (*Directory)(nil)

// LookupByMail implements identity.MailFinder: the one user whose mail is
// addr, with the same facts as Lookup. Like the ldap directory it matches
// mail only: the UPN is Lookup's, and otherMails are addresses a person
// gave for recovery, which may be shared or outside the company.
func (d *Directory) LookupByMail(ctx context.Context, addr string) (identity.Account, error) {
	return d.lookup(ctx, "entra.(*Directory).LookupByMail", addr, d.findMail)
}

// lookup is Lookup with the user found by find.
func (d *Directory) lookup(ctx context.Context, op, name string, find func(context.Context, string) (user, error)) (identity.Account, error) {
	if err := checkText(name); err != nil {
		return identity.Account{}, identity.E(op, identity.KindInvalid, fmt.Sprintf("The account name %v.", err), fmt.Errorf("name %w", err))
	}
	name = strings.TrimSpace(name)
	u, err := find(ctx, name)
	if err != nil {
		switch {
		case errors.Is(err, identity.ErrNotFound):
			return identity.Account{}, identity.E(op, identity.KindNotFound, "No Entra ID account is called "+name+".", err)
		case errors.Is(err, identity.ErrAmbiguous):
			return identity.Account{}, identity.E(op, identity.KindConflict, name+" matches more than one Entra ID account; use the full user principal name.", err)
		}
		return identity.Account{}, classify(op, actReadUsers, err)
	}
	acct := d.account(u)
	if err := d.profile(ctx, &acct); err != nil {
		return identity.Account{}, classify(op, actReadUsers, err)
	}
	d.guard(ctx, &acct)
	d.signIn(ctx, &acct)
	return acct, nil
}

func (d *Directory) find(ctx context.Context, name string) (user, error) {
	if isGUID(name) {
		var u user
		s, _ := seg(name)
		err := d.do(ctx, call{method: http.MethodGet, path: "/users/" + s, query: url.Values{"$select": {userSelect}}, idempotent: true}, &u)
		if graphStatus(err) == http.StatusNotFound {
			return u, fmt.Errorf("object id %s: %w", name, identity.ErrNotFound)
		}
		return u, err
	}
	if strings.Contains(name, "@") {
		if !isUPN(name) {
			return user{}, fmt.Errorf("%q is not a user principal name: %w", name, identity.ErrNotFound)
		}
		found, err := d.users(ctx, "userPrincipalName eq "+quote(name)+" or mail eq "+quote(name), 10)
		if err != nil {
			return user{}, err
		}
		for _, u := range found {
			if strings.EqualFold(u.UserPrincipalName, name) {
				return u, nil
			}
		}
		return one(found, name)
	}
	found, err := d.users(ctx, "mailNickname eq "+quote(name), 2)
	if err != nil {
		return user{}, err
	}
	return one(found, name)
}

// findMail returns the one user whose mail is addr.
func (d *Directory) findMail(ctx context.Context, addr string) (user, error) {
	if !strings.Contains(addr, "@") {
		return user{}, fmt.Errorf("%q is not an e-mail address: %w", addr, identity.ErrNotFound)
	}
	found, err := d.users(ctx, "mail eq "+quote(addr), 2)
	if err != nil {
		return user{}, err
	}
	return one(found, addr)
}

func one(found []user, name string) (user, error) {
	switch len(found) {
	case 0:
		return user{}, fmt.Errorf("%q: %w", name, identity.ErrNotFound)
	case 1:
		return found[0], nil
	}
	return user{}, fmt.Errorf("%q: %w", name, identity.ErrAmbiguous)
}
