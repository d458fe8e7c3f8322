package main

import (
	"context"
	"net/http"
	"os"
	"strings"

	"github.com/unlockbot/unlockbot/adapters/teams"
)

// mountTeams wires the Teams adapter when TEAMS_APP_PASSWORD (or its
// _FILE) is set: POST /api/messages, the Azure Bot's messaging endpoint.
// The signing keys are fetched once at start so the first activity does
// not wait on them; a failure there is logged, not fatal (the keys are
// fetched again on the first activity).
func (a *app) mountTeams(ctx context.Context, mux *http.ServeMux) (func(context.Context) error, error) {
	ad, err := a.teamsAdapter()
	if err != nil || ad == nil {
		if err == nil {
			a.log.Info().Msg("TEAMS_APP_PASSWORD is not set: the Teams endpoint is off")
		}
		return func(context.Context) error { return nil }, err
	}
	if err := ad.Warm(ctx); err != nil {
		a.log.Warn().Err(err).Msg("could not fetch the Bot Framework signing keys yet")
	}
	ad.Routes(mux)
	a.outboxes = append(a.outboxes, ad.Drain)
	return func(context.Context) error { return nil }, nil
}

// checkTeams asks Entra for the bot's token and the Bot Framework for its
// signing keys, for `unlockbot check`.
func (a *app) checkTeams(ctx context.Context) (string, error) {
	ad, err := a.teamsAdapter()
	if err != nil {
		return "", err
	}
	if ad == nil {
		return "TEAMS_APP_PASSWORD not set: Teams is off", nil
	}
	if err := ad.Check(ctx); err != nil {
		return "", err
	}
	return "app " + a.cfg.Teams.AppID + " got its token from tenant " + a.cfg.Teams.TenantID + "; Bot Framework signing keys fetched", nil
}

// teamsAdapter builds the adapter from the environment; nil when
// TEAMS_APP_PASSWORD is not set.
func (a *app) teamsAdapter() (*teams.Adapter, error) {
	pw, err := envSecret("TEAMS_APP_PASSWORD")
	if err != nil || pw.IsZero() {
		return nil, err
	}
	if err := a.cfg.Teams.requireIDs(); err != nil {
		return nil, err
	}
	var hosts []string
	if v := os.Getenv("TEAMS_SERVICE_URL_HOSTS"); v != "" {
		hosts = strings.Split(v, ",")
	}
	var approvals []string // where FindByEmail looks for people before any card was posted
	for _, oc := range a.cfg.Orgs {
		approvals = append(approvals, oc.Teams.ApprovalChannel)
	}
	return teams.New(teams.Config{
		AppID: a.cfg.Teams.AppID, AppPassword: pw, TenantID: a.cfg.Teams.TenantID, ApprovalChannels: approvals,
		MetadataURL: os.Getenv("TEAMS_OPENID_METADATA_URL"), AuthorityURL: os.Getenv("TEAMS_AUTHORITY_URL"),
		ServiceURLHosts: hosts, DefaultServiceURL: os.Getenv("TEAMS_SERVICE_URL"),
		Service: a.svc, Store: a.store, Log: a.log,
		ConversationInterval: a.cfg.Teams.ConversationInterval, ConversationBurst: a.cfg.Teams.ConversationBurst,
	})
}
