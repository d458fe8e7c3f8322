// Package superops is psa.Tickets for SuperOps (MSP GraphQL API, POST
// https://api.superops.ai/msp; EU tenants euapi.superops.ai/msp). Ticket
// status names are configured per tenant, so every status this client
// writes or treats as open comes from Config.
package superops

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
)

// DefaultBaseURL is the US endpoint.
const DefaultBaseURL = "https://api.superops.ai/msp"

// Config is one org's SuperOps connection.
type Config struct {
	BaseURL   string          // the full GraphQL endpoint, …/msp
	Subdomain string          // CustomerSubDomain header: the tenant
	Token     identity.Secret // API token (Bearer)
	// CompanyID is the org's client accountId, for Health.
	CompanyID string
	// ClientName is the client's name in SuperOps, used by the ticket list
	// filter (client.name is the documented filter; accountId is not).
	// Empty: read once with getClient.
	ClientName string
	// NewStatus is set on created tickets; ResolvedStatus by Resolve;
	// OpenStatuses are the statuses the picker lists (and that count as
	// not closed). Names as the tenant spells them.
	NewStatus      string
	ResolvedStatus string
	OpenStatuses   []string
	// RequesterUserID is the requester when the account's e-mail matches no
	// user of the client (tenants insist on a requester).
	RequesterUserID string
	Priority        string // optional tenant priority name

	HTTPClient *http.Client
	Timeout    time.Duration // per call; default 20s
	Now        func() time.Time
	Sleep      func(context.Context, time.Duration) error // waits, or until ctx ends (default psa.Sleep)
	Log        zerolog.Logger
	MaxRetries int // default 3
}

// Client is safe for concurrent use; one per org.
type Client struct {
	cfg  Config
	http *http.Client

	mu         sync.Mutex
	clientName string // cached result of getClient
	rnd        *rand.Rand
}

// New checks the configuration that every call needs.
func New(cfg Config) (*Client, error) {
	var miss []string
	if cfg.Subdomain == "" {
		miss = append(miss, "subdomain")
	}
	if cfg.Token.IsZero() {
		miss = append(miss, "API token")
	}
	if cfg.NewStatus == "" {
		miss = append(miss, "new status")
	}
	if cfg.ResolvedStatus == "" {
		miss = append(miss, "resolved status")
	}
	if len(cfg.OpenStatuses) == 0 {
		miss = append(miss, "open statuses")
	}
	if len(miss) > 0 {
		return nil, errors.New("superops.New: missing " + strings.Join(miss, ", "))
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 20 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = psa.Sleep
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 3
	}
	return &Client{cfg: cfg, http: cfg.HTTPClient, clientName: cfg.ClientName, rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x5eed))}, nil
}

func (c *Client) isOpen(status string) bool {
	for _, s := range c.cfg.OpenStatuses {
		if strings.EqualFold(s, status) {
			return true
		}
	}
	return false
}

// jitter spreads retries of many goroutines: d ± 25%.
func (c *Client) jitter(d time.Duration) time.Duration {
	c.mu.Lock()
	f := 0.75 + c.rnd.Float64()/2
	c.mu.Unlock()
	return time.Duration(float64(d) * f)
}
