package main

import (
	"errors"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/identity/entra"
	"github.com/unlockbot/unlockbot/identity/hybrid"
)

// EntraConfig is one Entra ID tenant reached through Microsoft Graph with
// an app registration's client secret (docs/entra.md).
type EntraConfig struct {
	TenantID           string   `yaml:"tenant_id"`
	ClientID           string   `yaml:"client_id"`
	ClientSecretEnv    string   `yaml:"client_secret_env"`
	ClientSecretFile   string   `yaml:"client_secret_file"`
	AuthorityURL       string   `yaml:"authority_url"` // tests and sovereign clouds
	GraphURL           string   `yaml:"graph_url"`
	Domains            []string `yaml:"domains"` // UPN suffixes in scope; empty: the whole tenant
	ForceChangeWithMFA bool     `yaml:"force_change_with_mfa"`
	RevokeSessions     *bool    `yaml:"revoke_sessions"` // default true
}

func (d DirectoryConfig) validateEntra(k string, bad func(string, string, ...any)) {
	e := d.Entra
	if e == nil {
		bad(k+".entra", "is required with kind entra: tenant_id, client_id and client_secret_env (see docs/entra.md)")
		return
	}
	if (e.ClientSecretEnv == "") == (e.ClientSecretFile == "") {
		bad(k+".entra.client_secret_env", "set exactly one of client_secret_env and client_secret_file")
	}
	var ce *entra.ConfigError
	if err := d.entraConfig(identity.NewSecret("placeholder")).Validate(); errors.As(err, &ce) {
		key := k + ".entra." + ce.Key
		if ce.Key == "deny_groups" || ce.Key == "intentional_lock_group" {
			key = k + "." + ce.Key // these sit beside kind, as for AD
		}
		bad(key, "%s", ce.Problem)
	}
	if o := d.OnPremises; o != nil {
		if o.Kind != "ad" {
			bad(k+".on_premises.kind", "must be ad: accounts are synced to Entra ID from Active Directory (got %q)", o.Kind)
		} else {
			o.validate(k+".on_premises", bad)
		}
	}
}

func (d DirectoryConfig) entraConfig(secret identity.Secret) entra.Config {
	e := d.Entra
	return entra.Config{TenantID: e.TenantID, ClientID: e.ClientID, ClientSecret: secret, AuthorityURL: e.AuthorityURL,
		GraphURL: e.GraphURL, DenyGroups: d.DenyGroups, IntentionalLockGroup: d.IntentionalLockGroup, Domains: e.Domains, ForceChangeWithMFA: e.ForceChangeWithMFA,
		RevokeSessions: e.RevokeSessions}
}

// newEntra builds the tenant's directory, routed through the org's AD for
// synced accounts when on_premises is set.
func newEntra(oc OrgConfig) (identity.Directory, error) {
	d := oc.Directory
	secret, err := ResolveSecret("directory.entra.client_secret", d.Entra.ClientSecretEnv, d.Entra.ClientSecretFile)
	if err != nil {
		return nil, err
	}
	cfg := d.entraConfig(secret)
	cfg.VerifyAttributes = oc.verifyPolicy().Attributes()
	cloud, err := entra.New(cfg)
	if err != nil {
		return nil, err
	}
	var onPrem identity.Directory
	if d.OnPremises != nil {
		if onPrem, err = newDirectory(OrgConfig{ID: oc.ID, Directory: *d.OnPremises}); err != nil {
			return nil, err
		}
	}
	return hybrid.New(cloud, onPrem), nil
}
