// Package teams connects unlockbot to Microsoft Teams through the Bot
// Framework: the unlock command in a personal chat or by @mention, the
// request form and the approval card as Adaptive Cards, Approve/Deny as
// Universal Actions answered at once, and the generated password revealed
// once in the requester's personal chat. Like the Slack adapter it only
// translates: every decision is made by bot.Service.
//
// The Bot Framework SDK for Go (msbotbuilder-go) is unmaintained; only its
// activity types are used. The token checks (verify.go, jwks.go), the
// bot's own token (token.go) and the connector client (connector.go) are
// ours, small and tested against the strict fake in teamstest.
package teams

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

// Platform is the name bot/ knows this adapter by ("teams:<tenant>:<object id>").
const Platform = "teams"

// DefaultServiceURL is where the bot reaches a conversation it has not
// heard from yet (a channel's first approval card, a user's first private
// message); once an activity arrives, the service URL it carries is used.
const DefaultServiceURL = "https://smba.trafficmanager.net/teams/"

// Timeouts: Teams waits about 15 s for an answer to an invoke but shows a
// spinner all the while; answers are kept to a few seconds, and the work
// after the answer (a reset) gets its own detached budget.
const (
	inlineTimeout = 4 * time.Second
	replayTTL     = 2 * time.Hour // > a Bot Framework token's lifetime
	maxBody       = 256 << 10     // Teams' own activities stay far below this
)

// Config wires an Adapter.
type Config struct {
	// AppID, AppPassword and TenantID are the Azure Bot's single-tenant
	// app registration: tokens for another app or tenant are refused.
	AppID       string
	AppPassword identity.Secret
	TenantID    string
	// MetadataURL and AuthorityURL point at the Bot Framework's OpenID
	// metadata and Entra's token authority (defaults: Microsoft's); tests
	// point them at teamstest.
	MetadataURL, AuthorityURL string
	// ServiceURLHosts are the hosts the bot's token may be sent to (default
	// DefaultServiceURLHosts): a service URL read from the store or an
	// activity is used only if its host is one of them.
	ServiceURLHosts []string
	// DefaultServiceURL: see the constant of that name.
	DefaultServiceURL string
	// ApprovalChannels are the orgs' approval channels (each teams block's
	// approval_channel): FindByEmail asks Teams who is in them even before
	// the bot has posted there, as on a fresh install.
	ApprovalChannels []string
	Service          *bot.Service
	Store            store.Store // replay markers and conversation references
	Log              zerolog.Logger
	Now              func() time.Time
	// HTTPClient for the connector, the token endpoint and the signing
	// keys (default: 10 s timeout).
	HTTPClient *http.Client
	// ConversationInterval and ConversationBurst pace every message,
	// reply and update per conversation, across replicas (pace.go;
	// defaults DefaultConversationInterval, DefaultConversationBurst).
	ConversationInterval time.Duration
	ConversationBurst    int
}

// Adapter serves POST /api/messages and implements bot.Notifier and
// bot.People for Teams.
type Adapter struct {
	cfg    Config
	svc    *bot.Service
	st     store.Store
	verify *Verifier
	tokens *TokenSource
	conn   *Connector
	pconn  *Connector     // conn.Paced(): a 429 is the outbox's to wait on
	out    *outbox.Outbox // messages, replies, updates, paced per conversation
	refs   *refs
	seen   deciderCache
	cards  *cardMemo // approval cards as rendered (card_memo.go)
	// refusals bounds the log lines a flood of bad tokens writes.
	refusals lineGate
	log      zerolog.Logger
	now      func() time.Time
}

var _ bot.Notifier = (*Adapter)(nil)

// New checks the config, builds the adapter and registers it as the
// service's Teams notifier.
func New(cfg Config) (*Adapter, error) {
	const op = "teams.New"
	switch {
	case cfg.Service == nil:
		return nil, fmt.Errorf("%s: a bot.Service is required", op)
	case cfg.Store == nil:
		return nil, fmt.Errorf("%s: a store is required (replay protection, conversation references)", op)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DefaultServiceURL == "" {
		cfg.DefaultServiceURL = DefaultServiceURL
	}
	if cfg.HTTPClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 32
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: tr}
	}
	allow, err := newHostAllowlist(cfg.ServiceURLHosts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if !allow(cfg.DefaultServiceURL) {
		return nil, fmt.Errorf("%s: the default service URL %q is not on a Bot Framework host; add its host to TEAMS_SERVICE_URL_HOSTS", op, cfg.DefaultServiceURL)
	}
	log := cfg.Log.With().Str("adapter", Platform).Logger()
	v, err := NewVerifier(VerifierConfig{AppID: cfg.AppID, TenantID: cfg.TenantID, MetadataURL: cfg.MetadataURL,
		HTTPClient: cfg.HTTPClient, Now: cfg.Now, Log: log})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	ts, err := NewTokenSource(TokenConfig{AppID: cfg.AppID, Password: cfg.AppPassword, TenantID: cfg.TenantID,
		AuthorityURL: cfg.AuthorityURL, HTTPClient: cfg.HTTPClient, Now: cfg.Now})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	conn, err := NewConnector(ConnectorConfig{Tokens: ts, HTTPClient: cfg.HTTPClient, AllowServiceURL: allow, Log: log})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	out, err := newOutbox(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	a := &Adapter{cfg: cfg, svc: cfg.Service, st: cfg.Store, verify: v, tokens: ts, conn: conn, pconn: conn.Paced(), out: out, cards: newCardMemo(), log: log, now: cfg.Now}
	a.refs = newRefs(cfg.Store, cfg.TenantID, cfg.DefaultServiceURL, allow, cfg.Now)
	cfg.Service.SetNotifier(Platform, a)
	cfg.Service.SetPeople(Platform, a)
	return a, nil
}

// Routes mounts the Bot Framework messaging endpoint.
func (a *Adapter) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/messages", a.handleActivity)
}

// Check asks Entra for the bot's token and the Bot Framework for its
// signing keys: what `unlockbot check` reports. Each error is one
// sentence saying what to fix.
func (a *Adapter) Check(ctx context.Context) error {
	_, terr := a.tokens.Token(ctx)
	return errors.Join(terr, a.verify.Warm(ctx))
}

// Shutdown waits for the service's work started after an answer to end,
// then for the messages it queued, or for ctx: for tests and embedders
// that run one adapter.
func (a *Adapter) Shutdown(ctx context.Context) error {
	return errors.Join(a.svc.Drain(ctx), a.out.Drain(ctx))
}

// bare is the Teams user an activity names: roles are checked by their
// Entra object id, never by display name, and only in our tenant (the
// token check refused every other one).
func (a *Adapter) bare(objectID, name string) bot.Actor {
	return bot.Actor{Platform: Platform, Tenant: a.cfg.TenantID, ID: strings.ToLower(objectID), Name: name}
}

// Complete implements bot.People. Teams names roles by object id, which
// the activity carries; group roles need Microsoft Graph, which this
// adapter does not call yet, so an actor holds no group role (fail
// closed).
func (a *Adapter) Complete(_ context.Context, p bot.Actor) bot.Actor { return p }

// safe is the sentence for the chat user; never the error chain.
func safe(err error) string { return bot.UserSentence(err) }

// Warm fetches the Bot Framework's signing keys, so the first activity
// does not wait on them.
func (a *Adapter) Warm(ctx context.Context) error { return a.verify.Warm(ctx) }
