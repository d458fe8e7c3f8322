package bot

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
)

// Org is one client organization: its directory, PSA, people and limits.
// Nothing is shared between orgs, which is what makes MSP use safe.
type Org struct {
	ID        string
	Name      string
	Directory identity.Directory
	Tickets   psa.Tickets
	// PSACompanyID is the org's id in its PSA (ConnectWise company id, ...).
	PSACompanyID string
	Policy       Policy
	// MaxConcurrentWrites bounds the resets (write and read-back) this
	// org's directory takes at once, across every replica: a domain
	// controller in a lockout storm is not a load tester. 0: no bound.
	MaxConcurrentWrites int

	// Principals are platform-qualified ids: "slack:U123" (a user) or
	// "slack:S456" (a user group the adapter resolved for the actor).
	Technicians []string
	Approvers   []string
	// Admins may lock accounts on purpose and release those locks (/lock).
	Admins []string
	// Channels that belong to this org, platform-qualified ("slack:C123").
	Channels []string
	// ApprovalChannel per platform: {"slack": "C789"}.
	ApprovalChannel map[string]string
}

// Policy is what an org allows.
type Policy struct {
	RequireApproval           bool
	MinPasswordLength         int
	MaxResetsPerAccountPerDay int
	// ApprovalTTL is how long a request waits for a decision.
	ApprovalTTL time.Duration
	// GeneratedLength of random passwords; PassphraseWords > 0 generates a
	// passphrase instead.
	GeneratedLength int
	PassphraseWords int
	// TicketRetryFor is how long a ticket update the PSA did not take
	// after a reset is retried in the background before unlockbot gives up
	// and says so (default 24 h; at most the 7 days a request is kept).
	TicketRetryFor time.Duration
	// NotifyOwner tells the account's owner after every unlock or reset
	// (owner.go).
	NotifyOwner OwnerNotice
	// Blocklist refuses common passwords, typed or generated; nil is the
	// shipped list alone (CommonPasswords).
	Blocklist *Blocklist
	// Breaches, when set, is asked about every typed password (a generated
	// one is random, so never). AllowUnscreened takes a typed password it
	// could not check; the default refuses it and offers a generated one.
	Breaches        PasswordScreen
	AllowUnscreened bool
	// LockMode is how /lock holds an account (identity.LockDisable by
	// default; identity.LockGroup: the group alone).
	LockMode identity.LockMode
	// AuthorizedRequesters, when set, are the principals (users, groups)
	// who may ask on behalf of others; every other technician may ask
	// only for their own account (requesters.go).
	AuthorizedRequesters []string
	// Verify is how the caller must prove who they are (verify.go).
	Verify VerifyPolicy
	// SelfService lets people unlock their own account (selfservice.go).
	SelfService SelfService
}

// withDefaults fills the zero values with the safe defaults.
func (p Policy) withDefaults() Policy {
	p.MinPasswordLength = cmp.Or(p.MinPasswordLength, 12)
	p.MaxResetsPerAccountPerDay = cmp.Or(p.MaxResetsPerAccountPerDay, 3)
	p.ApprovalTTL = cmp.Or(p.ApprovalTTL, time.Hour)
	p.GeneratedLength = cmp.Or(p.GeneratedLength, 16)
	p.TicketRetryFor = cmp.Or(p.TicketRetryFor, 24*time.Hour)
	p.LockMode = cmp.Or(p.LockMode, identity.LockDisable)
	if p.GeneratedLength < p.MinPasswordLength {
		p.GeneratedLength = p.MinPasswordLength
	}
	return p
}

func hasAny(set []string, principals []string) bool {
	for _, s := range set {
		for _, p := range principals {
			if s == p {
				return true
			}
		}
	}
	return false
}

// IsTechnician reports whether a may request resets in this org.
func (o *Org) IsTechnician(a Actor) bool { return hasAny(o.Technicians, a.principals()) }

// IsApprover reports whether a may approve requests in this org.
func (o *Org) IsApprover(a Actor) bool { return hasAny(o.Approvers, a.principals()) }

// IsAdmin reports whether a may lock accounts on purpose in this org.
func (o *Org) IsAdmin(a Actor) bool { return hasAny(o.Admins, a.principals()) }

// OwnsChannel reports whether a platform channel belongs to this org.
func (o *Org) OwnsChannel(platform, channel string) bool {
	return hasAny(o.Channels, []string{platform + ":" + channel})
}

// RoleHolders lists, once each, the ids the orgs name as technicians,
// approvers, admins or authorized requesters on a platform ("slack:T1:S456" gives "S456"): users and
// groups alike, for the adapter to pick out the groups it must list.
func RoleHolders(orgs []*Org, platform string) []string {
	seen := map[string]bool{}
	var out []string
	for _, o := range orgs {
		for _, p := range slices.Concat(o.Technicians, o.Approvers, o.Admins, o.Policy.AuthorizedRequesters) {
			id, ok := strings.CutPrefix(p, platform+":")
			if _, rest, tenant := strings.Cut(id, ":"); tenant {
				id = rest
			}
			if ok && id != "" && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}
