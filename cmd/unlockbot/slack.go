package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/unlockbot/unlockbot/adapters/slack"
	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/identity"
)

// mountSlack wires the Slack adapter when SLACK_BOT_TOKEN is set. Tokens
// come from the environment (or *_FILE paths), never from the config file.
// It returns a stop function for its transport (the Socket Mode link);
// serve drains the service's work itself, once, after every adapter.
func (a *app) mountSlack(ctx context.Context, mux *http.ServeMux) (func(context.Context) error, error) {
	ad, appToken, err := a.slackAdapter()
	if err != nil || ad == nil {
		if err == nil {
			a.log.Warn().Msg("SLACK_BOT_TOKEN is not set: Slack endpoints are off")
		}
		return func(context.Context) error { return nil }, err
	}
	ad.Warm(ctx)
	ad.Routes(mux)
	a.outboxes = append(a.outboxes, ad.Drain)
	if appToken.IsZero() {
		return func(context.Context) error { return nil }, nil // HTTP: srv.Shutdown ends it
	}
	// Socket Mode: the same handlers, fed over Slack's websocket, for
	// deployments that cannot take inbound HTTPS. The HTTP routes stay
	// mounted (still signature-checked) so a switch back needs no restart.
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := ad.RunSocketMode(ctx, appToken); err != nil {
			a.log.Error().Err(err).Msg("Slack Socket Mode stopped; check SLACK_APP_TOKEN")
		}
	}()
	a.log.Info().Msg("Slack Socket Mode on (SLACK_APP_TOKEN set)")
	return func(shut context.Context) error {
		select {
		case <-done: // the link finished its in-flight acks
			return nil
		case <-shut.Done():
			return shut.Err()
		}
	}, nil
}

// checkSlack asks Slack whom the bot token belongs to, for `unlockbot check`.
func (a *app) checkSlack(ctx context.Context) (string, error) {
	ad, _, err := a.slackAdapter()
	if err != nil {
		return "", err
	}
	if ad == nil {
		return "SLACK_BOT_TOKEN not set: Slack is off", nil
	}
	return ad.Check(ctx)
}

// slackAdapter builds the adapter from the environment; nil when
// SLACK_BOT_TOKEN is not set.
func (a *app) slackAdapter() (*slack.Adapter, identity.Secret, error) {
	token, err := envSecret("SLACK_BOT_TOKEN")
	if err != nil || token.IsZero() {
		return nil, identity.Secret{}, err
	}
	signing, err := envSecret("SLACK_SIGNING_SECRET")
	if err != nil {
		return nil, identity.Secret{}, err
	}
	if signing.IsZero() {
		return nil, identity.Secret{}, fmt.Errorf("SLACK_SIGNING_SECRET is required with SLACK_BOT_TOKEN: every Slack request is verified with it")
	}
	if err := a.cfg.Slack.requireIDs(); err != nil {
		return nil, identity.Secret{}, err
	}
	appToken, err := envSecret("SLACK_APP_TOKEN")
	if err != nil {
		return nil, identity.Secret{}, err
	}
	ad, err := slack.New(slack.Config{
		BotToken: token, SigningSecret: signing, AppToken: appToken,
		APIURL: os.Getenv("SLACK_API_URL"), Service: a.svc, Store: a.store, Log: a.log,
		TeamID: a.cfg.Slack.TeamID, EnterpriseID: a.cfg.Slack.EnterpriseID, AppID: a.cfg.Slack.AppID,
		UserGroups: slack.UserGroups(bot.RoleHolders(a.orgs, slack.Platform)), GroupMaxStale: a.cfg.Slack.GroupMaxStale,
		ChannelInterval: a.cfg.Slack.ChannelInterval, ChannelBurst: a.cfg.Slack.ChannelBurst,
	})
	return ad, appToken, err
}

// envSecret reads NAME, or the file named by NAME_FILE (Kubernetes secrets).
func envSecret(name string) (identity.Secret, error) {
	if v := os.Getenv(name); v != "" {
		return identity.NewSecret(v), nil
	}
	if f := os.Getenv(name + "_FILE"); f != "" {
		return ResolveSecret(name, "", f)
	}
	return identity.Secret{}, nil
}

// drainOutboxes waits for the chat messages the adapters still hold
// behind a channel's rate limit.
func (a *app) drainOutboxes(ctx context.Context) error {
	var errs []error
	for _, drain := range a.outboxes {
		errs = append(errs, drain(ctx))
	}
	return errors.Join(errs...)
}
