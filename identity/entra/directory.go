package entra

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

// Directory is one organization's Entra ID tenant. It is safe for
// concurrent use.
type Directory struct {
	cfg    Config
	http   *http.Client
	tokens *tokenSource
	sleep  func(context.Context, time.Duration) error // tests observe retry waits
	now    func() time.Time

	groupNames sync.Map // deny-group id → display name, read once on a hit
	signIns    signInState
}

var _ identity.Directory = (*Directory)(nil)

// New validates cfg and returns a Directory. It does not call Entra: the
// first operation (or Ping / Check) does.
func New(cfg Config) (*Directory, error) {
	const op = "entra.New"
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, identity.E(op, identity.KindInvalid, "The Entra ID configuration is invalid: "+err.Error(), err)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	d := &Directory{cfg: cfg, http: hc, sleep: sleepCtx, now: time.Now}
	d.tokens = &tokenSource{cfg: cfg, client: hc, now: func() time.Time { return d.now() }}
	return d, nil
}

// Ping gets a token and reads the tenant's id: the credentials work and
// Graph answers.
func (d *Directory) Ping(ctx context.Context) error {
	const op = "entra.(*Directory).Ping"
	var out struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	err := d.do(ctx, call{method: http.MethodGet, path: "/organization", query: url.Values{"$select": {"id"}}, idempotent: true}, &out)
	return classify(op, actReadUsers, err)
}

// userSelect is what every account read asks for. signInActivity is read
// in its own call (facts.go): it needs AuditLog.Read.All and a premium
// licence, and its absence must not fail the lookup.
var userSelect = strings.Join([]string{"id", "userPrincipalName", "mail", "mailNickname", "displayName",
	"accountEnabled", "onPremisesSyncEnabled", "onPremisesSamAccountName", "onPremisesDomainName",
	"lastPasswordChangeDateTime"}, ",")

// user is Graph's user resource, the properties we select.
type user struct {
	ID                  string `json:"id"`
	UserPrincipalName   string `json:"userPrincipalName"`
	Mail                string `json:"mail"`
	MailNickname        string `json:"mailNickname"`
	DisplayName         string `json:"displayName"`
	AccountEnabled      *bool  `json:"accountEnabled"`
	OnPremisesSync      *bool  `json:"onPremisesSyncEnabled"`
	OnPremisesSam       string `json:"onPremisesSamAccountName"`
	OnPremisesDomain    string `json:"onPremisesDomainName"`
	LastPasswordChanged string `json:"lastPasswordChangeDateTime"`
}

// account maps a Graph user. Username is the userPrincipalName: unique in
// the tenant, what the user signs in with and what a technician types; the
// local part alone is not unique across a tenant's domains. Entra has no
// lockout a client can see, so Lock stays zero (see Unlock).
func (d *Directory) account(u user) identity.Account {
	a := identity.Account{
		ID:          u.ID,
		Username:    u.UserPrincipalName,
		UPN:         u.UserPrincipalName,
		Mail:        u.Mail,
		DisplayName: u.DisplayName,
		InScope:     d.inScope(u.UserPrincipalName),
		// The stamp is Graph's own text: compared for equality only.
		PasswordStamp: u.LastPasswordChanged,
		Synced:        u.OnPremisesSync != nil && *u.OnPremisesSync,
		OnPremAccount: u.OnPremisesSam,
		OnPremDomain:  u.OnPremisesDomain,
		LockoutHidden: true, // smart lockout: no admin API shows or clears it
	}
	if t, err := time.Parse(time.RFC3339, u.LastPasswordChanged); err == nil {
		a.PasswordLastSet = t
	}
	if u.AccountEnabled == nil {
		a.GuardUnavailable = true // unknown means no
	} else {
		a.Disabled = !*u.AccountEnabled
	}
	return a
}

// inScope: the tenant is the scope, unless Domains lists the UPN suffixes.
func (d *Directory) inScope(upn string) bool {
	if len(d.cfg.Domains) == 0 {
		return true
	}
	at := strings.LastIndexByte(upn, '@')
	if at < 0 {
		return false
	}
	suffix := strings.ToLower(upn[at+1:])
	for _, dom := range d.cfg.Domains {
		if suffix == dom {
			return true
		}
	}
	return false
}

// target returns the path segment of acct for a write or read-back. The id
// came from Graph; it is validated again as a GUID, never taken as typed.
func (d *Directory) target(op string, acct identity.Account) (string, error) {
	if !isGUID(acct.ID) {
		return "", identity.E(op, identity.KindInvalid, "No Entra ID account was selected.", fmt.Errorf("account ID %q is not an object id: %w", acct.ID, identity.ErrNotFound))
	}
	if !d.inScope(acct.UPN) {
		return "", identity.E(op, identity.KindForbidden, "This account is outside the domains the bot may change for this organization.",
			fmt.Errorf("%q is not in domains %v", acct.UPN, d.cfg.Domains))
	}
	s, _ := seg(acct.ID)
	return "/users/" + s, nil
}
