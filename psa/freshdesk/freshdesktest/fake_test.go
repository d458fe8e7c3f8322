package freshdesktest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/psa/freshdesk/freshdesktest"
)

// The fake refuses what Freshdesk refuses, in Freshdesk's shapes.
func TestFakeIsStrict(t *testing.T) {
	s := freshdesktest.New(t, "key")
	s.AllowViolations = true
	s.AddCompany(5, "Acme")
	good := "Basic " + base64.StdEncoding.EncodeToString([]byte("key:X"))
	cases := []struct {
		name, method, path, auth, body string
		status                         int
		code                           string
	}{
		{"no auth", "GET", "/api/v2/tickets", "", "", 401, "invalid_credentials"},
		{"password not X", "GET", "/api/v2/tickets", "Basic " + base64.StdEncoding.EncodeToString([]byte("key:pw")), "", 401, "invalid_credentials"},
		{"unknown path", "GET", "/api/v2/nope", good, "", 404, "invalid_url"},
		{"status filter does not exist", "GET", "/api/v2/tickets?status=2", good, "", 400, "invalid_field"},
		{"per_page over 100", "GET", "/api/v2/tickets?per_page=101", good, "", 400, "invalid_value"},
		{"company_id not a number", "GET", "/api/v2/tickets?company_id=acme", good, "", 400, "invalid_value"},
		{"create without requester", "POST", "/api/v2/tickets", good, `{"subject":"s","description":"d","company_id":5}`, 400, "missing_field"},
		{"create without subject", "POST", "/api/v2/tickets", good, `{"email":"a@b.example","description":"d"}`, 400, "missing_field"},
		{"create with unknown field", "POST", "/api/v2/tickets", good, `{"email":"a@b.example","subject":"s","description":"d","summary":"x"}`, 400, "invalid_field"},
		{"create with string company", "POST", "/api/v2/tickets", good, `{"email":"a@b.example","subject":"s","description":"d","company_id":"5"}`, 400, "datatype_mismatch"},
		{"create with unknown company", "POST", "/api/v2/tickets", good, `{"email":"a@b.example","subject":"s","description":"d","company_id":6}`, 400, "invalid_value"},
		{"note without body", "POST", "/api/v2/tickets/1/notes", good, `{"private":true}`, 400, "missing_field"},
		{"unknown ticket", "GET", "/api/v2/tickets/99", good, "", 404, ""},
		{"create ok", "POST", "/api/v2/tickets", good, `{"email":"a@b.example","subject":"s","description":"d","company_id":5}`, 201, ""},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, s.URL+c.path, strings.NewReader(c.body))
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.name, resp.StatusCode, c.status, b)
			continue
		}
		if c.code == "" {
			continue
		}
		var e struct {
			Code        string                  `json:"code"`
			Description string                  `json:"description"`
			Errors      []struct{ Code string } `json:"errors"`
		}
		_ = json.Unmarshal(b, &e)
		got := e.Code
		if resp.StatusCode == 400 {
			if e.Description != "Validation failed" || len(e.Errors) == 0 {
				t.Errorf("%s: not the 400 shape: %s", c.name, b)
				continue
			}
			got = e.Errors[0].Code
		}
		if got != c.code {
			t.Errorf("%s: code %q, want %q (%s)", c.name, got, c.code, b)
		}
	}
}
