package teamstest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// tokenForm is a correct client-credentials form for s.
func tokenForm(s *Server) url.Values {
	return url.Values{
		"grant_type": {"client_credentials"}, "client_id": {s.opts.AppID},
		"client_secret": {s.opts.AppPassword}, "scope": {Scope},
	}
}

// postToken posts form to tenant's token endpoint and decodes the answer.
func postToken(t *testing.T, s *Server, tenant string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := s.Client().PostForm(s.AuthorityURL()+"/"+tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("token answer is not JSON: %v", err)
	}
	return resp.StatusCode, out
}

func TestTokenEndpointIssuesOpaqueTokens(t *testing.T) {
	s := New(t, Options{})
	s.SetTokenLifetime(90 * time.Second)
	st, a := postToken(t, s, s.opts.TenantID, tokenForm(s))
	_, b := postToken(t, s, s.opts.TenantID, tokenForm(s))
	if st != 200 || a["token_type"] != "Bearer" || a["expires_in"] != float64(90) || a["access_token"] == "" {
		t.Fatalf("answer %d %v", st, a)
	}
	if a["access_token"] == b["access_token"] {
		t.Fatal("two requests got the same token")
	}
	if !s.tok.valid(a["access_token"].(string)) || s.tok.valid("fake-bf.forged") {
		t.Fatal("valid() does not tell issued tokens from others")
	}
	if s.TokenRequests() != 2 {
		t.Fatalf("TokenRequests = %d", s.TokenRequests())
	}
	s.ExpireTokens()
	if s.tok.valid(a["access_token"].(string)) {
		t.Fatal("ExpireTokens left a token valid")
	}
	for _, body := range s.Bodies() {
		if strings.Contains(body, s.opts.AppPassword) {
			t.Fatal("a token request body (with the client secret) was recorded")
		}
	}
}

func TestTokenEndpointRefusesLikeEntra(t *testing.T) {
	s := New(t, Options{})
	with := func(k, v string) url.Values {
		f := tokenForm(s)
		f.Set(k, v)
		return f
	}
	extra := tokenForm(s)
	extra.Set("resource", "https://graph.microsoft.com")
	missing := tokenForm(s)
	missing.Del("scope")
	cases := []struct {
		name   string
		tenant string
		form   url.Values
		status int
		kind   string
		code   float64
	}{
		{"other tenant", "11111111-0000-0000-0000-000000000000", tokenForm(s), 400, "invalid_request", 90002},
		{"wrong secret", s.opts.TenantID, with("client_secret", "nope"), 401, "invalid_client", 7000215},
		{"unknown client", s.opts.TenantID, with("client_id", "someone-else"), 400, "unauthorized_client", 700016},
		{"wrong scope", s.opts.TenantID, with("scope", "https://graph.microsoft.com/.default"), 400, "invalid_scope", 70011},
		{"wrong grant", s.opts.TenantID, with("grant_type", "password"), 400, "unsupported_grant_type", 70003},
		{"extra field", s.opts.TenantID, extra, 400, "invalid_request", 9002313},
		{"missing field", s.opts.TenantID, missing, 400, "invalid_request", 900144},
	}
	for _, tc := range cases {
		st, a := postToken(t, s, tc.tenant, tc.form)
		codes, _ := a["error_codes"].([]any)
		desc, _ := a["error_description"].(string)
		if st != tc.status || a["error"] != tc.kind || len(codes) != 1 || codes[0] != tc.code || !strings.HasPrefix(desc, "AADSTS") || a["access_token"] != nil {
			t.Errorf("%s: %d %v", tc.name, st, a)
		}
	}
	resp, err := s.Client().Post(s.AuthorityURL()+"/"+s.opts.TenantID+"/oauth2/v2.0/token?"+tokenForm(s).Encode(), "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("credentials in the query string: %d, want 400", resp.StatusCode)
	}
}

func TestFailTokens(t *testing.T) {
	s := New(t, Options{})
	s.FailTokens(1, http.StatusServiceUnavailable)
	if st, a := postToken(t, s, s.opts.TenantID, tokenForm(s)); st != 503 || a["access_token"] != nil {
		t.Fatalf("failing: %d %v", st, a)
	}
	if st, _ := postToken(t, s, s.opts.TenantID, tokenForm(s)); st != 200 {
		t.Fatalf("after the failure: %d", st)
	}
}
