package teams

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/rs/zerolog"
)

// Connector bounds. Teams answers a post in a few hundred milliseconds;
// MaxRetries and the waits below keep a click answered (or refused) within
// seconds rather than hanging on a slow connector.
const (
	connectorTimeout  = 15 * time.Second
	defaultMaxRetries = 3
	maxRetryAfter     = 10 * time.Second // longer Retry-After: give up, say "try again"
	backoffBase       = 250 * time.Millisecond
	backoffMax        = 4 * time.Second
	maxConnectorReply = 1 << 20
)

// adaptiveCardType is the attachment content type of an Adaptive Card.
const adaptiveCardType = "application/vnd.microsoft.card.adaptive"

// ConnectorConfig configures the connector client.
type ConnectorConfig struct {
	Tokens     *TokenSource
	HTTPClient *http.Client // default: a client with a 15 s timeout; redirects are never followed
	// AllowServiceURL says whether a service URL (from an activity or the
	// store) is a Bot Framework connector the bot's token may be sent to.
	// Required: without it, anyone able to get an activity's serviceUrl in
	// front of the bot would receive its token.
	AllowServiceURL func(string) bool
	Log             zerolog.Logger
	Sleep           func(context.Context, time.Duration) error // default: a timer that honours ctx
	MaxRetries      int                                        // retries after 429, 5xx, connection errors; 0 = 3, < 0 = none
}

// Connector posts to the Bot Framework connector: our own small client
// (msbotbuilder-go's keeps a racy token cache and cannot bound retries),
// using only that module's schema types to decode answers.
type Connector struct {
	tokens     *TokenSource
	botID      string // "28:<app id>": the bot as Teams names it
	tenantID   string
	http       *http.Client
	allow      func(string) bool
	log        zerolog.Logger
	sleep      func(context.Context, time.Duration) error
	maxRetries int
	// paced: a 429 returns at once, its Retry-After on the error, for
	// bot/outbox to hold the conversation on every replica (pace.go).
	paced bool
}

// NewConnector builds the client.
func NewConnector(cfg ConnectorConfig) (*Connector, error) {
	if cfg.Tokens == nil {
		return nil, errors.New("the Teams connector needs the bot's token source")
	}
	if cfg.AllowServiceURL == nil {
		return nil, errors.New("the Teams connector needs AllowServiceURL: without it the bot's token could be sent to any URL an activity names")
	}
	var client http.Client
	if cfg.HTTPClient != nil {
		client = *cfg.HTTPClient
	} else {
		client.Timeout = connectorTimeout
	}
	// A redirect would carry the request (and, to the same host, the
	// token) somewhere AllowServiceURL never saw: treat it as the answer.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &Connector{
		tokens: cfg.Tokens, botID: "28:" + cfg.Tokens.appID, tenantID: cfg.Tokens.tenant,
		http: &client, allow: cfg.AllowServiceURL, log: cfg.Log,
		sleep: cfg.Sleep, maxRetries: cfg.MaxRetries,
	}
	if c.sleep == nil {
		c.sleep = sleepConnector
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = defaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	return c, nil
}

// Paced is a copy of c whose calls answer a 429 at once instead of
// sleeping on it: the caller (pace.go) waits behind the conversation's
// shared pace, so a retry here would be an extra, unpaced call. A 401
// still refreshes the token, and 5xx and connection errors still back off.
func (c *Connector) Paced() *Connector {
	p := *c
	p.paced = true
	return &p
}

// Outgoing is one message the bot sends.
type Outgoing struct {
	Text    string
	Summary string          // what Teams shows in notifications and the activity feed
	Card    json.RawMessage // an Adaptive Card, or nil for text only
}

// Outbound wire shapes. Our own small structs: schema.Activity marshals
// zero timestamps and empty objects Teams rejects or misreads.
type outActivity struct {
	Type        string          `json:"type"`
	ID          string          `json:"id,omitempty"`
	ReplyToID   string          `json:"replyToId,omitempty"`
	Text        string          `json:"text,omitempty"`
	Summary     string          `json:"summary,omitempty"`
	Attachments []outAttachment `json:"attachments,omitempty"`
}

type outAttachment struct {
	ContentType string          `json:"contentType"`
	Content     json.RawMessage `json:"content"`
}

type outAccount struct {
	ID string `json:"id"`
}

type outChannelData struct {
	Channel *outAccount `json:"channel,omitempty"`
	Tenant  *outAccount `json:"tenant,omitempty"`
}

type outConversation struct {
	IsGroup     bool           `json:"isGroup"`
	Bot         outAccount     `json:"bot"`
	Members     []outAccount   `json:"members,omitempty"`
	ChannelData outChannelData `json:"channelData"`
	Activity    *outActivity   `json:"activity,omitempty"`
	TenantID    string         `json:"tenantId"`
}

func (m Outgoing) activity() *outActivity {
	a := &outActivity{Type: "message", Text: m.Text, Summary: m.Summary}
	if m.Card != nil {
		a.Attachments = []outAttachment{{ContentType: adaptiveCardType, Content: m.Card}}
	}
	return a
}

// wire is a as the body of a connector request, its card written as
// rendered: json.Marshal would scan and compact the card again and escape
// each "<at>" of it to eighteen bytes, in a message Teams caps at 28 KB.
// Cards come from raw (card.go), valid JSON by construction.
func (a *outActivity) wire() (json.RawMessage, error) {
	if len(a.Attachments) != 1 {
		return json.Marshal(a)
	}
	head := *a
	head.Attachments = nil
	b, err := json.Marshal(head) // {"type":"message",…}: never empty
	if err != nil {
		return nil, err
	}
	ct, err := json.Marshal(a.Attachments[0].ContentType)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(b)+len(ct)+len(a.Attachments[0].Content)+40)
	out = append(out, b[:len(b)-1]...) // without its closing brace
	out = append(out, `,"attachments":[{"contentType":`...)
	out = append(out, ct...)
	out = append(out, `,"content":`...)
	out = append(out, a.Attachments[0].Content...)
	return append(out, "}]}"...), nil
}

// CreateChannelThread posts m as a new thread in a channel: conv is the
// thread's conversation id ("<channel>;messageid=<activityID>") replies
// go to, activityID the root message to update later. tenantID ""
// means the bot's own tenant (TEAMS_TENANT_ID).
func (c *Connector) CreateChannelThread(ctx context.Context, serviceURL, tenantID, channelID string, m Outgoing) (conv, activityID string, err error) {
	body := outConversation{
		IsGroup:     true,
		Bot:         outAccount{ID: c.botID},
		ChannelData: outChannelData{Channel: &outAccount{ID: channelID}, Tenant: &outAccount{ID: c.tenant(tenantID)}},
		Activity:    m.activity(),
		TenantID:    c.tenant(tenantID),
	}
	var out schema.ConversationResourceResponse
	if err := c.do(ctx, opCreateThread, http.MethodPost, serviceURL, "v3/conversations", body, &out); err != nil {
		return "", "", err
	}
	if out.ID == "" || out.ActivityID == "" {
		return "", "", missingID(opCreateThread)
	}
	return out.ID, out.ActivityID, nil
}

// CreatePersonal returns the bot's personal chat with userID (an MRI
// "29:…" or an Entra object id); Teams answers the existing chat when
// there is one. It fails when the bot is not installed for the user.
// tenantID "" means the bot's own tenant.
func (c *Connector) CreatePersonal(ctx context.Context, serviceURL, tenantID, userID string) (conv string, err error) {
	body := outConversation{
		Bot:         outAccount{ID: c.botID},
		Members:     []outAccount{{ID: userID}},
		ChannelData: outChannelData{Tenant: &outAccount{ID: c.tenant(tenantID)}},
		TenantID:    c.tenant(tenantID),
	}
	var out schema.ConversationResourceResponse
	if err := c.do(ctx, opCreatePersonal, http.MethodPost, serviceURL, "v3/conversations", body, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", missingID(opCreatePersonal)
	}
	return out.ID, nil
}

// Send posts m to conv (a personal chat, or a thread's conversation id to
// post in that thread) and returns the new activity's id.
func (c *Connector) Send(ctx context.Context, serviceURL, conv string, m Outgoing) (string, error) {
	body, err := m.activity().wire()
	if err != nil {
		return "", &APIError{Op: opSend, Code: CodeEncode, Err: err}
	}
	var out schema.ResourceResponse
	if err := c.do(ctx, opSend, http.MethodPost, serviceURL, convPath(conv)+"/activities", body, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", missingID(opSend)
	}
	return out.ID, nil
}

// Reply posts m in conv as a reply to activity replyTo.
func (c *Connector) Reply(ctx context.Context, serviceURL, conv, replyTo string, m Outgoing) (string, error) {
	a := m.activity()
	a.ReplyToID = replyTo
	body, err := a.wire()
	if err != nil {
		return "", &APIError{Op: opReply, Code: CodeEncode, Err: err}
	}
	var out schema.ResourceResponse
	if err := c.do(ctx, opReply, http.MethodPost, serviceURL, convPath(conv)+"/activities/"+url.PathEscape(replyTo), body, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", missingID(opReply)
	}
	return out.ID, nil
}

// Update replaces activity activityID in conv with m.
func (c *Connector) Update(ctx context.Context, serviceURL, conv, activityID string, m Outgoing) error {
	a := m.activity()
	a.ID = activityID
	body, err := a.wire()
	if err != nil {
		return &APIError{Op: opUpdate, Code: CodeEncode, Err: err}
	}
	return c.do(ctx, opUpdate, http.MethodPut, serviceURL, convPath(conv)+"/activities/"+url.PathEscape(activityID), body, nil)
}

// Delete removes activity activityID, which the bot posted, from conv.
func (c *Connector) Delete(ctx context.Context, serviceURL, conv, activityID string) error {
	return c.do(ctx, opDelete, http.MethodDelete, serviceURL, convPath(conv)+"/activities/"+url.PathEscape(activityID), nil, nil)
}

// Member is one conversation member as the connector answers for a Teams
// user (a TeamsChannelAccount): besides the ids, the e-mail and UPN their
// Entra profile holds, which is how unlockbot knows whose account is
// theirs (authorized requesters, self-service).
type Member struct {
	ID                string `json:"id"`
	Name              string `json:"name,omitempty"`
	AadObjectID       string `json:"aadObjectId,omitempty"`
	Email             string `json:"email,omitempty"`
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	TenantID          string `json:"tenantId,omitempty"`
}

// Member looks userID (MRI, Entra object id or, in a team's channel, UPN)
// up among conv's members: the way to learn a user's object id from an MRI
// or a directory address, their e-mail and UPN, or that they left.
func (c *Connector) Member(ctx context.Context, serviceURL, conv, userID string) (Member, error) {
	var out Member
	err := c.do(ctx, opMember, http.MethodGet, serviceURL, convPath(conv)+"/members/"+url.PathEscape(userID), nil, &out)
	return out, err
}

// tenant is the caller's tenant, defaulting to the bot's own.
func (c *Connector) tenant(t string) string {
	if t == "" {
		return c.tenantID
	}
	return t
}

// convPath escapes a conversation id as one path segment, as Microsoft's
// SDKs do: thread ids carry ';' and '=' that must not split the path.
func convPath(conv string) string { return "v3/conversations/" + url.PathEscape(conv) }
