package sms

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/unlockbot/unlockbot/bot/sms/smstest"
	"github.com/unlockbot/unlockbot/identity"
)

func client(t *testing.T, srv *smstest.Server, edit func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: srv.URL, AccountSID: smstest.AccountSID, AuthToken: identity.NewSecret(smstest.AuthToken), From: smstest.From}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSendIsAcceptedByTheStrictFake(t *testing.T) {
	srv := smstest.Start(t)
	if err := client(t, srv, nil).Send(context.Background(), "+15551230076", "Your code is 123456"); err != nil {
		t.Fatal(err)
	}
	svc := client(t, srv, func(c *Config) { c.From, c.MessagingServiceSID = "", smstest.ServiceSID })
	if err := svc.Send(context.Background(), "+447700900123", "ü code"); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	want := []smstest.Message{{To: "+15551230076", From: smstest.From, Body: "Your code is 123456"}, {To: "+447700900123", Service: smstest.ServiceSID, Body: "ü code"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("messages %+v, want %+v", got, want)
	}
	if r := srv.Refused(); len(r) != 0 {
		t.Fatalf("refused: %v", r)
	}
}

// A refusal carries the status and Twilio's code, never the number, the
// body, the token or the provider's message (which quotes the number).
func TestRefusalsCarryTheCodeAndNoSecret(t *testing.T) {
	srv := smstest.Start(t)
	cases := []struct {
		name   string
		edit   func(*Config)
		to     string
		status int
		code   int
	}{
		{"bad token", func(c *Config) { c.AuthToken = identity.NewSecret("wrong-token-9f") }, "+15551230076", 401, 20003},
		{"bad number", nil, "5551230076", 400, 21211},
		{"bad sender", func(c *Config) { c.From = "+15550000000" }, "+15551230076", 400, 21606},
		{"bad service", func(c *Config) { c.From, c.MessagingServiceSID = "", "MG"+strings.Repeat("f", 32) }, "+15551230076", 400, 21701},
		{"bad account", func(c *Config) { c.AccountSID = "AC" + strings.Repeat("e", 32) }, "+15551230076", 404, 20404},
	}
	for _, tc := range cases {
		err := client(t, srv, tc.edit).Send(context.Background(), tc.to, "code 654321")
		var e *Error
		if !errors.As(err, &e) || e.Status != tc.status || e.Code != tc.code {
			t.Errorf("%s: %v, want HTTP %d code %d", tc.name, err, tc.status, tc.code)
			continue
		}
		for _, leak := range []string{tc.to, "654321", "wrong-token-9f", smstest.AuthToken, "not a valid"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("%s: error %q holds %q", tc.name, err, leak)
			}
		}
	}
	if len(srv.Messages()) != 0 {
		t.Fatal("a refused message was recorded")
	}
}

func TestTooManyRequestsSaysWhenToRetry(t *testing.T) {
	srv := smstest.Start(t)
	srv.FailNext(smstest.Failure{Status: http.StatusTooManyRequests, Code: 20429, RetryAfter: "7"}, smstest.Failure{Status: 503})
	c := client(t, srv, nil)
	var e *Error
	if err := c.Send(context.Background(), "+15551230076", "x"); !errors.As(err, &e) || e.RetryAfter != 7*time.Second || e.Code != 20429 ||
		err.Error() != "sms: the provider refused the message (HTTP 429, code 20429, retry after 7s)" {
		t.Fatalf("429: %v", err)
	}
	if err := c.Send(context.Background(), "+15551230076", "x"); !errors.As(err, &e) || e.Status != 503 || e.RetryAfter != 0 ||
		err.Error() != "sms: the provider refused the message (HTTP 503)" {
		t.Fatalf("503: %v", err)
	}
	if err := c.Send(context.Background(), "+15551230076", "x"); err != nil {
		t.Fatalf("after the failures: %v", err)
	}
}

func TestBodyLimitAndUnreachableProvider(t *testing.T) {
	srv := smstest.Start(t)
	c := client(t, srv, nil)
	if err := c.Send(context.Background(), "+15551230076", strings.Repeat("é", MaxBody)); err != nil {
		t.Fatalf("1600 characters refused: %v", err)
	}
	if err := c.Send(context.Background(), "+15551230076", strings.Repeat("a", MaxBody+1)); err == nil || len(srv.Messages()) != 1 {
		t.Fatalf("1601 characters: %v", err)
	}
	down := client(t, srv, func(c *Config) { c.BaseURL, c.Timeout = "http://127.0.0.1:1", time.Second })
	if err := down.Send(context.Background(), "+15551230076", "x"); err == nil || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("unreachable: %v", err)
	}
}

// A 201 that names no accepted message is not a success.
func TestCreatedWithoutAMessageIsAnError(t *testing.T) {
	for _, body := range []string{`{}`, `not json`, `{"sid":"SM1","status":"failed"}`, `{"sid":"SM1","status":"undelivered"}`} {
		ts := fakeOnce(t, http.StatusCreated, body)
		c, err := New(Config{BaseURL: ts, AccountSID: smstest.AccountSID, AuthToken: identity.NewSecret("t"), From: "+15005550006"})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Send(context.Background(), "+15551230076", "x"); err == nil || !strings.Contains(err.Error(), "no accepted message") {
			t.Errorf("%s: %v", body, err)
		}
	}
}

func TestNewChecksTheConfig(t *testing.T) {
	good := Config{AccountSID: smstest.AccountSID, AuthToken: identity.NewSecret("secret-tok"), From: "+15005550006"}
	c, err := New(good)
	if err != nil || c.endpoint != DefaultBaseURL+"/2010-04-01/Accounts/"+smstest.AccountSID+"/Messages.json" || c.cfg.Timeout != 15*time.Second {
		t.Fatalf("defaults: %v %+v", err, c)
	}
	g := good
	g.BaseURL = "https://sms.example.test/"
	if c, _ := New(g); c.endpoint != "https://sms.example.test/2010-04-01/Accounts/"+smstest.AccountSID+"/Messages.json" {
		t.Fatalf("trailing slash: %s", c.endpoint)
	}
	bad := map[string]func(*Config){
		"base_url":              func(c *Config) { c.BaseURL = "ftp://x" },
		"base_url ":             func(c *Config) { c.BaseURL = "https://" },
		"account_sid":           func(c *Config) { c.AccountSID = "AC123" },
		"account_sid prefix":    func(c *Config) { c.AccountSID = "MG" + smstest.AccountSID[2:] },
		"account_sid hex":       func(c *Config) { c.AccountSID = "AC" + strings.Repeat("z", 32) },
		"auth token":            func(c *Config) { c.AuthToken = identity.Secret{} },
		"messaging_service_sid": func(c *Config) { c.MessagingServiceSID = "MG1" },
		"from or":               func(c *Config) { c.From = "" },
	}
	for want, edit := range bad {
		c := good
		edit(&c)
		_, err := New(c)
		if err == nil || !strings.Contains(err.Error(), strings.Fields(want)[0]) || strings.Contains(err.Error(), "secret-tok") {
			t.Errorf("%s: %v", want, err)
		}
	}
}
