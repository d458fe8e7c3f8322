package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/entra"
	"github.com/unlockbot/unlockbot/identity/hybrid"
	"github.com/unlockbot/unlockbot/identity/ldap"
)

// newDirectory builds an org's directory from its config.
func newDirectory(oc OrgConfig) (identity.Directory, error) {
	d := oc.Directory
	switch d.Kind {
	case "demo":
		return demoDirectory(), nil
	case "entra":
		return newEntra(oc)
	}
	pw, err := ResolveSecret("bind_password", d.BindPasswordEnv, d.BindPasswordFile)
	if err != nil {
		return nil, err
	}
	dir, err := ldap.New(ldap.Config{
		Kind: ldap.Kind(d.Kind), URL: d.URL, StartTLS: d.StartTLS, CAFile: d.CAFile,
		InsecureSkipVerify: d.InsecureSkipVerify, DevMode: d.DevMode,
		BindDN: d.BindDN, BindPassword: pw, BaseDN: d.BaseDN, UserFilter: d.UserFilter,
		DenyGroups: d.DenyGroups, IntentionalLockGroup: d.IntentionalLockGroup, DefaultPolicyDN: d.DefaultPolicyDN,
		MaxConns: d.MaxConns, DialTimeout: d.DialTimeout, OpTimeout: d.OpTimeout,
		VerifyAttributes: oc.Policy.Verify.policy().Attributes(),
	})
	var ce *ldap.ConfigError
	if errors.As(err, &ce) {
		return nil, errors.New("config: directory." + ce.Key + ": " + ce.Problem)
	}
	return dir, err
}

// directoryChecker is a directory that can say more than Ping: whether the
// bot binds, finds its base DN and holds the rights it needs (identity/ldap).
type directoryChecker interface {
	Check(ctx context.Context) (ldap.CheckReport, error)
}

// unwrapper is a directory wrapped around another (identity/typeahead);
// check asks the one underneath.
type unwrapper interface{ Unwrap() identity.Directory }

// checkDirectory reports, for `unlockbot check`, what one directory answers.
func checkDirectory(ctx context.Context, d identity.Directory) ([]string, error) {
	for {
		w, ok := d.(unwrapper)
		if !ok {
			break
		}
		d = w.Unwrap()
	}
	if h, ok := d.(*hybrid.Directory); ok {
		return checkHybrid(ctx, h)
	}
	if c, ok := d.(directoryChecker); ok {
		rep, err := c.Check(ctx)
		if err != nil {
			return nil, err
		}
		if !rep.OK() {
			return rep.Lines(), errors.New(strings.Join(rep.Problems, "; "))
		}
		return rep.Lines(), nil
	}
	if err := d.Ping(ctx); err != nil {
		return nil, err
	}
	return []string{"answers (built-in demo directory)"}, nil
}

// checkHybrid reports the tenant (token, the app's permissions and role,
// the deny groups) and, when set, the org's AD for synced accounts.
func checkHybrid(ctx context.Context, h *hybrid.Directory) ([]string, error) {
	var lines, problems []string
	if e, ok := h.Cloud().(*entra.Directory); ok {
		for _, r := range e.Check(ctx) {
			mark := "ok"
			switch {
			case !r.OK:
				mark = "MISSING"
				problems = append(problems, r.Name+": "+r.Detail)
			case r.Warning:
				mark = "warning"
			}
			lines = append(lines, fmt.Sprintf("Entra ID %s: %s (%s)", r.Name, mark, r.Detail))
		}
	}
	if ad := h.OnPrem(); ad != nil {
		more, err := checkDirectory(ctx, ad)
		for _, l := range more {
			lines = append(lines, "on-premises AD: "+l)
		}
		if err != nil {
			problems = append(problems, "on-premises AD: "+err.Error())
		}
	}
	if len(problems) > 0 {
		return lines, errors.New(strings.Join(problems, "; "))
	}
	return lines, nil
}
