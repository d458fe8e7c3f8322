package ldap

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// RightState is what Check could establish about one right.
type RightState string

const (
	RightGranted RightState = "granted"
	RightMissing RightState = "missing"
	RightUnknown RightState = "unknown" // the directory cannot tell us; a test reset will
)

// RightCheck is one right the bot needs.
type RightCheck struct {
	Name   string
	State  RightState
	Detail string
}

// CheckReport is what `unlockbot check` prints for one directory.
type CheckReport struct {
	Kind          Kind
	URL           string
	Encrypted     bool   // LDAPS or StartTLS: writes are allowed
	BotDN         string // the bot account as the directory knows it
	BaseDNFound   bool
	SampleAccount string // the account below base_dn whose effective rights were read
	Rights        []RightCheck
	// BotProtectedGroups lists privileged groups the bot belongs to. It
	// needs none: delegated rights on the OU are enough, and a bot that is
	// a Domain Admin turns any flaw into a domain compromise.
	BotProtectedGroups []string
	Warnings           []string
	Problems           []string
}

// OK reports whether nothing blocks the bot from working.
func (r CheckReport) OK() bool { return len(r.Problems) == 0 }

// Lines renders the report for a terminal, one fact per line.
func (r CheckReport) Lines() []string {
	transport := "encrypted"
	if !r.Encrypted {
		transport = "NOT encrypted"
	}
	l := []string{fmt.Sprintf("bound to %s as %s (%s)", r.URL, r.BotDN, transport)}
	if r.BaseDNFound {
		l = append(l, "base DN exists")
	}
	if r.SampleAccount != "" {
		l = append(l, "rights read on "+r.SampleAccount)
	}
	for _, c := range r.Rights {
		line := "right " + c.Name + ": " + string(c.State)
		if c.Detail != "" {
			line += " (" + c.Detail + ")"
		}
		l = append(l, line)
	}
	for _, w := range r.Warnings {
		l = append(l, "warning: "+w)
	}
	for _, p := range r.Problems {
		l = append(l, "problem: "+p)
	}
	return l
}

// warnNoDenyGroups: for AD the guard knows the privileged groups by SID;
// generic LDAP has none, so an administrator the configuration does not
// name is an ordinary account to the bot. (Generic LDAP has no disabled
// flag the bot reads, so "disabled" is not among what it sees.)
const warnNoDenyGroups = "generic LDAP has no built-in privileged groups: with no deny_groups the guard only sees " +
	"accounts outside base_dn and accounts locked on purpose; list your administrators' groups in deny_groups"

// Check binds as the bot, confirms the base DN exists and reports whether
// the bot holds the rights a reset needs, and whether it holds more than it
// should (membership of protected groups). It returns an error only when it
// cannot talk to the directory at all.
func (d *Directory) Check(ctx context.Context) (CheckReport, error) {
	const op = "ldap.(*Directory).Check"
	var r CheckReport
	err := d.with(ctx, func(c *ldap.Conn) error {
		// Start afresh: with retries fn once after a dropped connection.
		r = CheckReport{Kind: d.cfg.Kind, URL: d.cfg.URL, Encrypted: d.secure(), BotDN: d.cfg.BindDN}
		_, err := c.Search(ldap.NewSearchRequest(d.cfg.BaseDN, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
			"(objectClass=*)", []string{"1.1"}, nil))
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			r.Problems = append(r.Problems, "base_dn "+d.cfg.BaseDN+" does not exist (or the bot cannot see it)")
			return nil
		}
		if err != nil {
			return err
		}
		r.BaseDNFound = true
		sample, _, err := pagedSearch(c, d.cfg.BaseDN, ldap.ScopeWholeSubtree, d.userClassFilter(), []string{"1.1"}, 1, d.cfg)
		if err != nil {
			return err
		}
		if len(sample) == 0 {
			r.Warnings = append(r.Warnings, "no account below base_dn: rights cannot be checked")
			return nil
		}
		r.SampleAccount = sample[0].DN
		if d.cfg.Kind == KindAD {
			return d.checkAD(c, &r)
		}
		return d.checkLDAP(c, &r)
	})
	if err != nil {
		return r, d.classify(op, actRead, err)
	}
	if d.cfg.Kind == KindLDAP && len(d.cfg.DenyGroups) == 0 {
		r.Warnings = append(r.Warnings, warnNoDenyGroups)
	}
	if !r.Encrypted {
		r.Problems = append([]string{"the connection is not encrypted: unlocks and resets are refused (use ldaps:// or start_tls)"}, r.Problems...)
	}
	return r, nil
}

func (d *Directory) checkAD(c *ldap.Conn, r *CheckReport) error {
	// The bot's own SIDs: itself, its groups (nested), Everyone, Authenticated Users.
	bot, err := d.readBot(c)
	if err != nil {
		return err
	}
	r.BotDN = bot.dn
	sids, botKnown := bot.token, bot.sid != ""
	for _, sid := range bot.groups {
		if name, ok := protectedName(sid); ok && !slices.Contains(r.BotProtectedGroups, name) {
			r.BotProtectedGroups = append(r.BotProtectedGroups, name)
		}
	}
	if len(r.BotProtectedGroups) > 0 {
		r.Warnings = append(r.Warnings, "the bot account is a member of "+strings.Join(r.BotProtectedGroups, ", ")+
			"; it needs only Reset Password and write lockoutTime/pwdLastSet delegated on the OU")
	}

	sdFlags := &ldap.ControlMicrosoftSDFlags{ControlValue: 4} // DACL only: readable with READ_CONTROL
	res, err := c.Search(ldap.NewSearchRequest(r.SampleAccount, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"allowedAttributesEffective", "nTSecurityDescriptor"}, []ldap.Control{sdFlags}))
	if err != nil {
		return err
	}
	if len(res.Entries) != 1 {
		r.Warnings = append(r.Warnings, "could not read the sample account back")
		return nil
	}
	e := res.Entries[0]
	writable := e.GetAttributeValues("allowedAttributesEffective")
	for _, attr := range []string{"lockoutTime", "pwdLastSet"} {
		rc := RightCheck{Name: "write " + attr, State: RightMissing, Detail: "grant write property " + attr + " on user objects of the OU"}
		if slices.ContainsFunc(writable, func(s string) bool { return strings.EqualFold(s, attr) }) {
			rc.State, rc.Detail = RightGranted, ""
		}
		r.Rights = append(r.Rights, rc)
	}
	reset := RightCheck{Name: "Reset Password", State: RightUnknown}
	if aces, err := parseDACL(e.GetRawAttributeValue("nTSecurityDescriptor")); err != nil {
		reset.Detail = "cannot read the account's security descriptor: " + err.Error()
	} else if !botKnown {
		reset.Detail = "cannot read the bot account's own SID from bind_dn"
	} else {
		switch controlAccess(aces, sids, resetPasswordRight) {
		case "granted":
			reset.State = RightGranted
		case "denied":
			reset.State, reset.Detail = RightMissing, "an ACE denies it"
		default:
			reset.State, reset.Detail = RightMissing, "grant the Reset Password extended right on user objects of the OU"
		}
	}
	r.Rights = append(r.Rights, reset)
	for _, rc := range r.Rights {
		if rc.State == RightMissing {
			r.Problems = append(r.Problems, fmt.Sprintf("the bot lacks %s on %s", rc.Name, r.SampleAccount))
		}
	}
	return nil
}

func (d *Directory) checkLDAP(c *ldap.Conn, r *CheckReport) error {
	res, err := c.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"supportedControl", "supportedExtension"}, nil))
	if err != nil {
		return err
	}
	if len(res.Entries) == 1 {
		e := res.Entries[0]
		if !slices.Contains(e.GetAttributeValues("supportedExtension"), "1.3.6.1.4.1.4203.1.11.1") {
			r.Problems = append(r.Problems, "the server does not offer the Password Modify extended operation")
		}
		if !slices.Contains(e.GetAttributeValues("supportedControl"), ldap.ControlTypeBeheraPasswordPolicy) {
			r.Warnings = append(r.Warnings, "the server does not announce the password policy control (ppolicy): lockouts may not be visible")
		}
	}
	for _, name := range []string{"write userPassword", "write pwdAccountLockedTime", "write pwdReset"} {
		r.Rights = append(r.Rights, RightCheck{Name: name, State: RightUnknown,
			Detail: "generic LDAP cannot report effective rights; do one test reset on a test account"})
	}
	return nil
}
