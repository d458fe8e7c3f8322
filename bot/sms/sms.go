// Package sms sends one-time verification codes by text message through an
// HTTP provider shaped like Twilio's Messages API: POST
// {base}/2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded To,
// From (or MessagingServiceSid) and Body, HTTP Basic AccountSid:AuthToken,
// 201 with the message's sid on success. The number and the body are
// secrets of the caller's: no error of this package carries either, nor
// the token, nor the provider's own message (which may quote the number).
package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/identity"
)

// Config is one provider account.
type Config struct {
	// BaseURL is the API's root (default https://api.twilio.com).
	BaseURL    string
	AccountSID string
	AuthToken  identity.Secret
	// From is the sender number (E.164) or alphanumeric sender ID;
	// MessagingServiceSID is used instead when set.
	From                string
	MessagingServiceSID string
	// Timeout bounds one Send (default 15 s).
	Timeout time.Duration
	// Client is the HTTP client (default: one with Timeout).
	Client *http.Client
}

// DefaultBaseURL is Twilio's API.
const DefaultBaseURL = "https://api.twilio.com"

// MaxBody is the longest body the API takes (Twilio: 1600 characters).
const MaxBody = 1600

// Client implements bot.SMSSender.
type Client struct {
	cfg      Config
	endpoint string
}

var _ bot.SMSSender = (*Client)(nil)

// New checks the config. Its errors name the setting, never the token.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, errors.New("sms: base_url must be an http(s) URL")
	}
	if !validSID(cfg.AccountSID, "AC") {
		return nil, errors.New("sms: account_sid must be AC followed by 32 hex digits")
	}
	if cfg.AuthToken.IsZero() {
		return nil, errors.New("sms: the auth token is empty")
	}
	switch {
	case cfg.MessagingServiceSID != "" && !validSID(cfg.MessagingServiceSID, "MG"):
		return nil, errors.New("sms: messaging_service_sid must be MG followed by 32 hex digits")
	case cfg.MessagingServiceSID == "" && cfg.From == "":
		return nil, errors.New("sms: set from or messaging_service_sid")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	return &Client{cfg: cfg, endpoint: base + "/2010-04-01/Accounts/" + cfg.AccountSID + "/Messages.json"}, nil
}

func validSID(s, prefix string) bool {
	if len(s) != 34 || !strings.HasPrefix(s, prefix) {
		return false
	}
	for _, c := range s[2:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// Error is a refusal by the provider: its HTTP status, its error code
// (Twilio's 21211 "invalid To", 20003 "authentication") and, on 429, how
// long it asked to wait. It never holds the provider's message.
type Error struct {
	Status     int
	Code       int
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	s := "sms: the provider refused the message (HTTP " + strconv.Itoa(e.Status)
	if e.Code != 0 {
		s += ", code " + strconv.Itoa(e.Code)
	}
	if e.RetryAfter > 0 {
		s += ", retry after " + e.RetryAfter.String()
	}
	return s + ")"
}

// Send posts one message and returns once the provider accepted it (201).
func (c *Client) Send(ctx context.Context, to, body string) error {
	if len([]rune(body)) > MaxBody {
		return fmt.Errorf("sms: the body is longer than %d characters", MaxBody)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	form := url.Values{"To": {to}, "Body": {body}}
	if c.cfg.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", c.cfg.MessagingServiceSID)
	} else {
		form.Set("From", c.cfg.From)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return errors.New("sms: the request could not be made")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(c.cfg.AccountSID, c.cfg.AuthToken.Reveal())
	resp, err := c.cfg.Client.Do(req)
	if err != nil {
		// The URL holds no secret; the error is the transport's.
		return fmt.Errorf("sms: the provider did not answer: %w", errors.Unwrap(err))
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusCreated {
		var ok struct {
			SID    string `json:"sid"`
			Status string `json:"status"`
		}
		if json.Unmarshal(raw, &ok) != nil || ok.SID == "" || ok.Status == "failed" || ok.Status == "undelivered" {
			return errors.New("sms: the provider's answer names no accepted message")
		}
		return nil
	}
	var te struct {
		Code int `json:"code"`
	}
	_ = json.Unmarshal(raw, &te)
	e := &Error{Status: resp.StatusCode, Code: te.Code}
	if resp.StatusCode == http.StatusTooManyRequests {
		if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n > 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		}
	}
	return e
}
