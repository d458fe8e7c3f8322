// Package freshdesk is psa.Tickets on the Freshdesk API v2
// (https://developers.freshdesk.com/api/). A Client serves one org: its
// Freshdesk account (base URL and API key) and its client company.
package freshdesk

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"context"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
)

// Config is one org's Freshdesk. Zero numbers take the defaults noted.
type Config struct {
	// BaseURL is https://{domain}.freshdesk.com (a trailing /api/v2 is
	// accepted). Tests point it at the fake.
	BaseURL string
	APIKey  identity.Secret
	// CompanyID is the org's Freshdesk company, checked by Health.
	CompanyID string
	// OrgName names the org in the technician's error sentences.
	OrgName string
	// GroupID is the group new tickets go to (0: none).
	GroupID int64
	// Priority (1 low … 4 urgent; default 1), Source (default 2 portal) and
	// Status (default 2 open) of new tickets.
	Priority, Source, Status int
	// ResolvedStatus is what Resolve sets (default 4 Resolved; 5 Closed).
	ResolvedStatus int
	// OpenStatuses are the statuses ListOpen keeps (default 2 Open,
	// 3 Pending); the list call has no status filter.
	OpenStatuses []int
	// FallbackRequesterEmail is the requester of a ticket when the
	// account's e-mail is not a contact of the company: Freshdesk requires
	// one, and an unknown e-mail would create a stray contact.
	FallbackRequesterEmail string
	// Lookback is how far back ListOpen and FindCreated look (default 90
	// days): without updated_since Freshdesk lists only 30 days.
	Lookback time.Duration

	HTTPClient *http.Client
	Now        func() time.Time
	// Sleep waits between retries; it returns early with ctx's error.
	Sleep      func(ctx context.Context, d time.Duration) error
	Log        zerolog.Logger
	MaxRetries int // default 3
}

// Client is safe for concurrent use: it holds no mutable state.
type Client struct {
	cfg  Config
	base *url.URL // …/api/v2
	auth string
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*Client, error) {
	const op = "freshdesk.New"
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%s: base URL must be https://{domain}.freshdesk.com", op)
	}
	if !strings.HasSuffix(u.Path, "/api/v2") {
		u.Path += "/api/v2"
	}
	if cfg.APIKey.IsZero() {
		return nil, fmt.Errorf("%s: an API key is required", op)
	}
	if cfg.FallbackRequesterEmail == "" {
		return nil, fmt.Errorf("%s: a fallback requester e-mail is required", op)
	}
	if cfg.Priority == 0 {
		cfg.Priority = 1
	}
	if cfg.Source == 0 {
		cfg.Source = 2
	}
	if cfg.Status == 0 {
		cfg.Status = 2
	}
	if cfg.ResolvedStatus == 0 {
		cfg.ResolvedStatus = 4
	}
	if len(cfg.OpenStatuses) == 0 {
		cfg.OpenStatuses = []int{2, 3}
	}
	if cfg.Lookback <= 0 {
		cfg.Lookback = 90 * 24 * time.Hour
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
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
	if cfg.OrgName == "" {
		cfg.OrgName = "this org"
	}
	// Basic base64("{apiKey}:X"): https://developers.freshdesk.com/api/#authentication
	auth := "Basic " + b64(cfg.APIKey.Reveal()+":X")
	return &Client{cfg: cfg, base: u, auth: auth}, nil
}

// parseID turns a psa id (ticket or company) into Freshdesk's integer.
func parseID(kind, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("freshdesk: %s id %q is not a Freshdesk id (a positive number)", kind, s)
	}
	return n, nil
}

var errNoAnswer = errors.New("freshdesk: no answer")
