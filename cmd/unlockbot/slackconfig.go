package main

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/unlockbot/unlockbot/adapters/slack"
)

// Slack ids are upper-case letters and digits behind a one-letter kind.
var (
	slackTeamRe       = regexp.MustCompile(`^T[A-Z0-9]+$`)
	slackEnterpriseRe = regexp.MustCompile(`^E[A-Z0-9]+$`)
	slackAppRe        = regexp.MustCompile(`^A[A-Z0-9]+$`)
)

// Where an operator finds each id, for the errors that ask for one.
const (
	howToFindTeam = "it is the T… in the address of Slack open in a browser (app.slack.com/client/T…/), or the team_id that https://slack.com/api/auth.test answers for the bot token"
	howToFindApp  = "it is the App ID (A…) under Basic Information → App Credentials at https://api.slack.com/apps"
)

// validate checks the ids that are set; whether they must be set depends
// on SLACK_BOT_TOKEN, which requireIDs checks when Slack is switched on.
func (s SlackConfig) validate(bad func(string, string, ...any)) {
	if s.TeamID != "" && !slackTeamRe.MatchString(s.TeamID) {
		bad("slack.team_id", "must be a Slack team id (T… in capitals, e.g. T0123ABCD), got %q", s.TeamID)
	}
	if s.EnterpriseID != "" && !slackEnterpriseRe.MatchString(s.EnterpriseID) {
		bad("slack.enterprise_id", "must be a Slack Enterprise Grid id (E…), got %q", s.EnterpriseID)
	}
	if s.AppID != "" && !slackAppRe.MatchString(s.AppID) {
		bad("slack.app_id", "must be a Slack app id (A…), got %q", s.AppID)
	}
	if s.GroupMaxStale < time.Minute || s.GroupMaxStale > 24*time.Hour {
		bad("slack.group_max_stale", "must be between 1m and 24h (got %s)", s.GroupMaxStale)
	}
	if s.ChannelInterval < time.Millisecond || s.ChannelInterval > time.Minute {
		bad("slack.channel_interval", "must be between 1ms and 1m (got %s); Slack allows about one message per second per channel", s.ChannelInterval)
	}
	if s.ChannelBurst < 1 || s.ChannelBurst > 50 {
		bad("slack.channel_burst", "must be between 1 and 50 (got %d)", s.ChannelBurst)
	}
}

// paceDefaults fills the per-channel pace: Slack's one message a second,
// with the short burst it allows.
func (s *SlackConfig) paceDefaults() {
	if s.ChannelInterval == 0 {
		s.ChannelInterval = slack.DefaultChannelInterval
	}
	if s.ChannelBurst == 0 {
		s.ChannelBurst = slack.DefaultChannelBurst
	}
}

// requireIDs is the start-up check for a bot with Slack on: without the
// pinned team and app it would serve any workspace that sends it a
// request signed with its secret.
func (s SlackConfig) requireIDs() error {
	var errs []error
	if s.TeamID == "" {
		errs = append(errs, fmt.Errorf("config: slack.team_id: is required when SLACK_BOT_TOKEN is set (only that workspace is served): %s", howToFindTeam))
	}
	if s.AppID == "" {
		errs = append(errs, fmt.Errorf("config: slack.app_id: is required when SLACK_BOT_TOKEN is set (only that app's requests are served): %s", howToFindApp))
	}
	return errors.Join(errs...)
}
