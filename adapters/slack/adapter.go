// Package slack connects unlockbot to Slack: the /unlock command, the request
// modal, the approval buttons and the private messages. It is a thin
// translation layer: every decision is made by bot.Service, which this
// package calls with actors whose Slack user groups it has resolved.
package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/outbox"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/identity"
)

// Platform is the name bot/ knows this adapter by ("slack:U123").
const Platform = "slack"

// Timeouts: Slack wants an answer within 3 s; work that must happen before
// the answer (views.open, a form submission) gets less than that, and work
// after the answer (a reset) gets its own detached budget.
const (
	inlineTimeout = 2500 * time.Millisecond
	replayTTL     = 10 * time.Minute // > the ±5 min signature window
	maxBody       = 1 << 20
)

// Config wires an Adapter.
type Config struct {
	BotToken      identity.Secret // xoxb-…
	SigningSecret identity.Secret
	AppToken      identity.Secret // xapp-…: when set, cmd runs RunSocketMode with it instead of Routes
	APIURL        string          // default DefaultAPIURL; tests point it at slacktest
	// TeamID (T…) and AppID (A…) are the one workspace and app this bot
	// serves; EnterpriseID (E…), when set, pins the Enterprise Grid too.
	// Requests from anywhere else are refused before they are handled,
	// and every actor's Tenant is TeamID, so roles match on team + user.
	TeamID       string
	EnterpriseID string
	AppID        string
	Service      *bot.Service
	Store        store.Store // replay/retry markers
	Log          zerolog.Logger
	Now          func() time.Time
	// UserGroups are the Slack user-group ids (S…) named as technicians or
	// approvers in the org config; their members are fetched periodically so
	// actors carry their groups. cmd can collect them with UserGroups.
	UserGroups []string
	// GroupTTL is how long group membership is cached (default 5 min).
	GroupTTL time.Duration
	// GroupMaxStale is how long a group Slack fails to list keeps its last
	// known members (default bot.DefaultGroupMaxStale, 15 min); after that it
	// grants no role until Slack answers again.
	GroupMaxStale time.Duration
	// HTTPClient for the Web API (default: 10 s timeout).
	HTTPClient *http.Client
	// ChannelInterval and ChannelBurst pace every chat.* call per channel
	// across all replicas (pace.go; defaults 1 s and 3).
	ChannelInterval time.Duration
	ChannelBurst    int
}

// Adapter serves Slack's HTTP callbacks (Routes) or the same events over
// Socket Mode (RunSocketMode, socketmode.go) and implements bot.Notifier.
type Adapter struct {
	svc    *bot.Service
	st     store.Store
	api    *webAPI
	secret identity.Secret
	ws     workspace // the one team and app served
	log    zerolog.Logger
	now    func() time.Time
	groups *bot.GroupCache
	names  *nameCache
	out    *outbox.Outbox // chat.* calls, paced per channel
}

var _ bot.Notifier = (*Adapter)(nil)

// New checks the config, builds the adapter and registers it as the
// service's Slack notifier.
func New(cfg Config) (*Adapter, error) {
	const op = "slack.New"
	switch {
	case cfg.Service == nil:
		return nil, fmt.Errorf("%s: a bot.Service is required", op)
	case cfg.Store == nil:
		return nil, fmt.Errorf("%s: a store is required (replay protection)", op)
	case cfg.SigningSecret.IsZero():
		return nil, fmt.Errorf("%s: the signing secret is required", op)
	case !strings.HasPrefix(cfg.BotToken.Reveal(), "xoxb-"):
		return nil, fmt.Errorf("%s: the bot token must be a bot token (xoxb-…)", op)
	}
	ws, err := newWorkspace(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	base := cfg.APIURL
	if base == "" {
		base = DefaultAPIURL
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	hc := cfg.HTTPClient
	if hc == nil {
		// Keep connections to Slack warm: the default transport keeps two
		// idle per host, so a burst of commands paid a TLS handshake each.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 32
		hc = &http.Client{Timeout: 10 * time.Second, Transport: tr}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	a := &Adapter{
		svc:    cfg.Service,
		st:     cfg.Store,
		api:    &webAPI{base: base, token: cfg.BotToken, http: hc, sleep: sleepCtx},
		secret: cfg.SigningSecret,
		ws:     ws,
		log:    cfg.Log.With().Str("adapter", Platform).Logger(),
		now:    now,
	}
	if a.out, err = newOutbox(cfg, ws); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	a.groups = bot.NewGroupCache(userGroups{a.api}, cfg.UserGroups, cfg.GroupTTL, cfg.GroupMaxStale, now, a.log)
	a.names = newNameCache(a.api, now, a.log)
	cfg.Service.SetNotifier(Platform, a)
	cfg.Service.SetPeople(Platform, a)
	return a, nil
}

// Routes mounts Slack's three request URLs.
func (a *Adapter) Routes(mux *http.ServeMux) {
	mux.Handle("POST /slack/commands", a.verified(entryCommand, a.handleCommand))
	mux.Handle("POST /slack/interactions", a.verified(entryPayload, a.handleInteraction))
	mux.Handle("POST /slack/options", a.verified(entryPayload, a.handleOptions))
}

// Shutdown waits for the service's work started after an ack (resets in
// progress) to end, or for ctx: for tests and embedders that run one
// adapter. serve drains the service itself (bot.Service.Drain).
func (a *Adapter) Shutdown(ctx context.Context) error {
	return errors.Join(a.svc.Drain(ctx), a.out.Drain(ctx))
}

// actor builds the bot actor for a Slack user, with their user groups. It
// is for paths that show no names (the command, the type-ahead), which
// must stay fast. The tenant is the pinned team: served() has refused
// every request from another one.
func (a *Adapter) actor(ctx context.Context, userID, handle string) bot.Actor {
	return bot.Actor{Platform: Platform, Tenant: a.ws.team, ID: userID, Name: handle, Groups: a.groups.GroupsOf(ctx, userID)}
}

// key is a user's qualified id for log fields ("slack:T1:U123").
func (a *Adapter) key(userID string) string {
	return bot.Actor{Platform: Platform, Tenant: a.ws.team, ID: userID}.Key()
}

// bare is the Slack user as a payload names them, without the lookups:
// for clicks and forms, whose decisions complete them (Complete) when
// they run, after the ack where Slack allows it.
func (a *Adapter) bare(userID, handle string) bot.Actor {
	return bot.Actor{Platform: Platform, Tenant: a.ws.team, ID: userID, Name: handle}
}

// Complete implements bot.People: the user's groups, and the name people
// know them by, which appears on cards and in the audit trail's messages.
func (a *Adapter) Complete(ctx context.Context, p bot.Actor) bot.Actor {
	if p.Platform != Platform || p.Tenant != a.ws.team {
		return p // not ours: no roles from our groups
	}
	c := a.actor(ctx, p.ID, p.Name)
	c.Name = a.names.nameOf(ctx, p.ID, p.Name)
	return c
}

// UserGroups picks the Slack user-group ids (S…) out of the role holders
// the orgs name on Slack (bot.RoleHolders), for Config.UserGroups.
func UserGroups(ids []string) []string {
	var out []string
	for _, id := range ids {
		if strings.HasPrefix(id, "S") {
			out = append(out, id)
		}
	}
	return out
}

// safe is the sentence for the chat user; never the error chain.
func safe(err error) string { return bot.UserSentence(err) }
