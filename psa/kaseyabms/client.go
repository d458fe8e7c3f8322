// Package kaseyabms is psa.Tickets for Kaseya BMS through its v2 REST API
// (https://help.bms.kaseya.com/help/Content/BMS%20API/bms-api-v2-bms-rest-apis.html).
// One Client serves one org; it is safe for concurrent use.
package kaseyabms

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
)

// Config is one org's BMS connection. The ids come from the tenant's own
// lookups (GET /v2/system/lookup/{table}); Health checks them.
type Config struct {
	BaseURL  string // https://api.bms.kaseya.com (US), api.bmsemea…, api.bmsapac…
	Tenant   string
	UserName string
	Password identity.Secret

	CompanyID string // the BMS AccountId of the org's client company

	LocationID      int // a location of that account (tickets require one)
	PriorityID      int
	SourceID        int
	StatusID        int // status of a new ticket
	TypeID          int
	NoteTypeID      int
	ResolveStatusID int // optional: BMS picks its resolved status when 0

	HTTPClient *http.Client
	Now        func() time.Time
	Sleep      func(ctx context.Context, d time.Duration) error
	Log        zerolog.Logger
	MaxRetries int // default 3
}

// Client talks to one BMS tenant.
type Client struct {
	cfg  Config
	base *url.URL
	hc   *http.Client
	tok  *tokenSource
}

var _ psa.Tickets = (*Client)(nil)

// New checks cfg and returns a client; it makes no call (Health does).
func New(cfg Config) (*Client, error) {
	const op = "kaseyabms.New"
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%s: base URL must be https://host, got %q", op, cfg.BaseURL)
	}
	var missing []string
	for name, empty := range map[string]bool{
		"tenant": cfg.Tenant == "", "username": cfg.UserName == "", "password": cfg.Password.IsZero(),
		"company id": cfg.CompanyID == "", "location id": cfg.LocationID <= 0, "priority id": cfg.PriorityID <= 0,
		"source id": cfg.SourceID <= 0, "status id": cfg.StatusID <= 0, "type id": cfg.TypeID <= 0,
		"note type id": cfg.NoteTypeID <= 0,
	} {
		if empty {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("%s: missing %s", op, strings.Join(missing, ", "))
	}
	if _, err := strconv.Atoi(cfg.CompanyID); err != nil {
		return nil, fmt.Errorf("%s: company id must be the numeric BMS AccountId, got %q", op, cfg.CompanyID)
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
	c := &Client{cfg: cfg, base: u, hc: cfg.HTTPClient}
	c.tok = &tokenSource{c: c}
	return c, nil
}

// ticketID parses a psa ticket id; BMS ids are int32, so anything else
// cannot exist there.
func ticketID(id string) (int, error) {
	n, err := strconv.Atoi(id)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("kaseyabms: ticket %q: %w", id, psa.ErrNotFound)
	}
	return n, nil
}
