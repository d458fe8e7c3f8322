// Package connectwise is psa.Tickets on ConnectWise PSA (Manage) through
// its REST API (v4_6_release/apis/3.0). One Client serves one org and is
// safe for concurrent use: it holds no mutable state.
package connectwise

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/identity"
	"github.com/unlockbot/unlockbot/psa"
)

// Config is one org's ConnectWise. Ids are ConnectWise's numeric ids.
type Config struct {
	// BaseURL ends in /v4_6_release/apis/3.0, e.g.
	// https://api-na.myconnectwise.net/v4_6_release/apis/3.0 (or on-prem).
	BaseURL string
	// Company is the ConnectWise login company id ("acme"), the first part
	// of the API user name.
	Company    string
	PublicKey  identity.Secret
	PrivateKey identity.Secret
	// ClientID is the integration's clientId GUID from developer.connectwise.com.
	ClientID string
	// CompanyID is the client company's numeric id, checked by Health.
	CompanyID string
	// OrgName names the org in sentences for the technician.
	OrgName string

	BoardID        int // board new tickets go to
	StatusID       int // status of a new ticket (0: the board's default)
	ClosedStatusID int // a status of the board with closedStatus true
	TypeID         int // optional
	PriorityID     int // optional

	HTTPClient *http.Client
	Now        func() time.Time
	// Sleep waits between retries; tests record the waits.
	Sleep      func(ctx context.Context, d time.Duration) error
	Log        zerolog.Logger
	MaxRetries int // default 3
}

// Client is a psa.Tickets on ConnectWise.
type Client struct {
	cfg  Config
	base string
	auth identity.Secret // the whole Authorization header value
}

// New checks cfg and returns a client; it makes no call (Health does).
func New(cfg Config) (*Client, error) {
	const op = "connectwise.New"
	var missing []string
	if cfg.BaseURL == "" {
		missing = append(missing, "base URL")
	}
	if cfg.Company == "" {
		missing = append(missing, "company")
	}
	if cfg.PublicKey.IsZero() || cfg.PrivateKey.IsZero() {
		missing = append(missing, "public and private key")
	}
	if cfg.ClientID == "" {
		missing = append(missing, "client id")
	}
	if cfg.BoardID <= 0 {
		missing = append(missing, "board id")
	}
	if cfg.ClosedStatusID <= 0 {
		missing = append(missing, "closed status id")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: missing %s", op, strings.Join(missing, ", "))
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
		cfg.OrgName = "this organization"
	}
	user := cfg.Company + "+" + cfg.PublicKey.Reveal() + ":" + cfg.PrivateKey.Reveal()
	return &Client{
		cfg:  cfg,
		base: strings.TrimRight(cfg.BaseURL, "/"),
		auth: identity.NewSecret("Basic " + base64.StdEncoding.EncodeToString([]byte(user))),
	}, nil
}

// companyID parses the client company's id as ConnectWise needs it.
func companyID(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("connectwise: company id %q is not a ConnectWise company number", s)
	}
	return n, nil
}

// ticketID parses a ticket id; anything not a number cannot exist.
func ticketID(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil && n > 0
}

var errAmbiguous = errors.New("the request may or may not have been carried out")
