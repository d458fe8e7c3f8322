package slack

// Which Slack workspace. A request signed with our signing secret can still
// come from a workspace we do not serve: the same app installed in a second
// workspace, an external member of a shared channel. A user id means
// nothing outside its team, so the adapter serves one team and one app
// (and, when pinned, one Enterprise Grid) and refuses anything else right
// after the signature check: no handler runs, Slack is not called, no
// replay marker is written.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/slack-go/slack"

	"github.com/unlockbot/unlockbot/bot"
)

// workspace is what this adapter serves.
type workspace struct{ team, enterprise, app string }

var (
	teamIDRe       = regexp.MustCompile(`^T[A-Z0-9]+$`)
	enterpriseIDRe = regexp.MustCompile(`^E[A-Z0-9]+$`)
	appIDRe        = regexp.MustCompile(`^A[A-Z0-9]+$`)
)

func newWorkspace(c Config) (workspace, error) {
	switch {
	case !teamIDRe.MatchString(c.TeamID):
		return workspace{}, fmt.Errorf("the Slack team id must be the workspace's T… id (got %q)", c.TeamID)
	case !appIDRe.MatchString(c.AppID):
		return workspace{}, fmt.Errorf("the Slack app id must be the app's A… id (got %q)", c.AppID)
	case c.EnterpriseID != "" && !enterpriseIDRe.MatchString(c.EnterpriseID):
		return workspace{}, fmt.Errorf("the Slack enterprise id must be the Grid's E… id (got %q)", c.EnterpriseID)
	}
	return workspace{team: c.TeamID, enterprise: c.EnterpriseID, app: c.AppID}, nil
}

// entry is where a request's workspace fields are: the form fields of a
// slash command, or the JSON "payload" of interactions and type-ahead.
type entry int

const (
	entryCommand entry = iota
	entryPayload
)

// origin is who a request says it comes from.
type origin struct {
	kind       string // slash_command, block_actions, view_submission, block_suggestion…
	team       string
	userTeam   string // the clicking user's own team; "" in slash commands
	enterprise string
	app        string
}

var errNoPayload = errors.New("no readable payload")

func originOf(e entry, form url.Values) (origin, error) {
	if e == entryCommand {
		return origin{kind: "slash_command", team: form.Get("team_id"), enterprise: form.Get("enterprise_id"), app: form.Get("api_app_id")}, nil
	}
	// Only these fields are read; a submission's payload holds the typed
	// password, so it is never logged, not even when it fails to parse.
	var p struct {
		Type string `json:"type"`
		Team *struct {
			ID string `json:"id"`
		} `json:"team"`
		Enterprise *struct {
			ID string `json:"id"`
		} `json:"enterprise"`
		User struct {
			TeamID string `json:"team_id"`
		} `json:"user"`
		APIAppID string `json:"api_app_id"`
	}
	raw := form.Get("payload")
	if raw == "" || json.Unmarshal([]byte(raw), &p) != nil {
		return origin{}, errNoPayload
	}
	o := origin{kind: p.Type, userTeam: p.User.TeamID, app: p.APIAppID}
	if p.Team != nil {
		o.team = p.Team.ID
	}
	if p.Enterprise != nil {
		o.enterprise = p.Enterprise.ID
	}
	return o, nil
}

// refuses says why o is not served ("" = it is). A missing field is a
// mismatch: deny by default.
func (w workspace) refuses(o origin) string {
	switch {
	case o.app != w.app:
		return "app_not_served"
	case o.team != w.team || (o.userTeam != "" && o.userTeam != w.team):
		return "team_not_served"
	case w.enterprise != "" && o.enterprise != w.enterprise:
		return "enterprise_not_served"
	}
	return ""
}

const notServed = "This Slack workspace is not served by this unlockbot. Ask your unlockbot admin which workspace to use."

// served lets a request from our workspace go on. Any other is answered
// here (plainly, where Slack shows an answer), logged and audited, and
// false is returned. transport is "http" or "socket_mode".
func (a *Adapter) served(ctx context.Context, w http.ResponseWriter, e entry, form url.Values, transport string) bool {
	o, err := originOf(e, form)
	if err != nil {
		a.log.Warn().Str("transport", transport).Str("why", err.Error()).Msg("unreadable interaction")
		http.Error(w, "bad payload", http.StatusBadRequest)
		return false
	}
	why := a.ws.refuses(o)
	if why == "" {
		return true
	}
	detail := map[string]string{"transport": transport, "kind": cut(o.kind, 64), "team_id": cut(o.team, 64),
		"api_app_id": cut(o.app, 64)}
	if o.userTeam != "" {
		detail["user_team_id"] = cut(o.userTeam, 64)
	}
	if o.enterprise != "" {
		detail["enterprise_id"] = cut(o.enterprise, 64)
	}
	// Its own short budget: the answer must not wait on a slow store, and
	// a caller that hung up must not lose the record.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	audited := a.svc.RecordRefusal(actx, Platform, why, detail)
	cancel()
	ev := a.log.Warn().Str("event", "slack.workspace_refused").Str("why", why).Bool("audited", audited)
	for k, v := range detail {
		ev = ev.Str(k, v)
	}
	ev.Msg("request from a workspace or app this unlockbot does not serve refused")

	switch o.kind {
	case "slash_command":
		writeEphemeral(w, notServed)
	case string(slack.InteractionTypeBlockSuggestion):
		writeJSON(w, renderOptions(nil))
	case string(slack.InteractionTypeViewSubmission):
		writeJSON(w, slack.NewUpdateViewSubmissionResponse(windowViewPtr(bot.Card{Title: "Not served", Text: notServed})))
	default: // a click: Slack shows no answer; the ack is enough
		w.WriteHeader(http.StatusOK)
	}
	return false
}
