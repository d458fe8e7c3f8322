package teams

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/identity"
)

// STUB: replaced by token.go and connector.go.

// DefaultAuthorityURL is Entra's token authority.
const DefaultAuthorityURL = "https://login.microsoftonline.com"

// TokenConfig configures the bot's own token (client credentials).
type TokenConfig struct {
	AppID        string
	Password     identity.Secret
	TenantID     string
	AuthorityURL string // default DefaultAuthorityURL
	HTTPClient   *http.Client
	Now          func() time.Time
}

// TokenSource hands out the bot's token, cached.
type TokenSource struct{}

// NewTokenSource checks the config.
func NewTokenSource(cfg TokenConfig) (*TokenSource, error) { return &TokenSource{}, nil }

// Token returns a valid token.
func (s *TokenSource) Token(ctx context.Context) (string, error) { return "", nil }

// ConnectorConfig configures the connector client.
type ConnectorConfig struct {
	Tokens          *TokenSource
	HTTPClient      *http.Client
	AllowServiceURL func(string) bool
	Log             zerolog.Logger
	Sleep           func(context.Context, time.Duration) error
	MaxRetries      int
}

// Connector posts to the Bot Framework connector.
type Connector struct{}

// NewConnector builds the client.
func NewConnector(cfg ConnectorConfig) (*Connector, error) { return &Connector{}, nil }

// Outgoing is one message the bot sends.
type Outgoing struct {
	Text    string
	Summary string
	Card    json.RawMessage
}

func (c *Connector) CreateChannelThread(ctx context.Context, serviceURL, tenantID, channelID string, m Outgoing) (conv, activityID string, err error) {
	return "", "", nil
}
func (c *Connector) CreatePersonal(ctx context.Context, serviceURL, tenantID, userID string) (conv string, err error) {
	return "", nil
}
func (c *Connector) Send(ctx context.Context, serviceURL, conv string, m Outgoing) (string, error) {
	return "", nil
}
func (c *Connector) Reply(ctx context.Context, serviceURL, conv, replyTo string, m Outgoing) (string, error) {
	return "", nil
}
func (c *Connector) Update(ctx context.Context, serviceURL, conv, activityID string, m Outgoing) error {
	return nil
}
func (c *Connector) Member(ctx context.Context, serviceURL, conv, userID string) (schema.ChannelAccount, error) {
	return schema.ChannelAccount{}, nil
}

// Invalidate drops the cached token.
func (s *TokenSource) Invalidate() {}
