package entratest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func token(t *testing.T, s *Server) string {
	t.Helper()
	form := url.Values{"client_id": {ClientID}, "client_secret": {Secret}, "grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"}}
	resp, err := http.PostForm(s.AuthorityURL()+"/"+TenantID+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.AccessToken
}

// get sends a Graph request and returns status and error code.
func send(t *testing.T, s *Server, tok, method, path string, hdr map[string]string, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.GraphURL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct {
			Code       string `json:"code"`
			InnerError struct {
				RequestID string `json:"request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &e)
	if resp.StatusCode >= 400 && e.Error.InnerError.RequestID == "" {
		t.Fatalf("%s %s: error without request-id: %s", method, path, raw)
	}
	return resp.StatusCode, e.Error.Code
}

func TestStrictness(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddUser(User{ID: "11111111-1111-4111-8111-111111111111", UPN: "a@contoso.com", Enabled: true})
	tok := token(t, s)
	id := "11111111-1111-4111-8111-111111111111"
	cases := []struct {
		name, method, path string
		hdr                map[string]string
		body               string
		status             int
		code               string
	}{
		{"ok", "GET", "/users?$filter=" + url.QueryEscape("startswith(displayName,'a')") + "&$top=5", nil, "", 200, ""},
		{"escaped quote", "GET", "/users?$filter=" + url.QueryEscape("mail eq 'o''brien'"), nil, "", 200, ""},
		{"unknown option", "GET", "/users?$search=a", nil, "", 400, "BadRequest"},
		{"unterminated literal", "GET", "/users?$filter=" + url.QueryEscape("mail eq 'a"), nil, "", 400, "BadRequest"},
		{"broken-out literal", "GET", "/users?$filter=" + url.QueryEscape("mail eq 'a' or 1 eq 1"), nil, "", 400, "BadRequest"},
		{"unsupported property", "GET", "/users?$filter=" + url.QueryEscape("startswith(city,'a')"), nil, "", 400, "Request_UnsupportedQuery"},
		{"unknown select", "GET", "/users/" + id + "?$select=id,password", nil, "", 400, "BadRequest"},
		{"advanced without header", "GET", "/users/" + id + "/memberOf/microsoft.graph.group?$filter=isAssignableToRole+eq+true&$count=true", nil, "", 400, "Request_UnsupportedQuery"},
		{"advanced with header", "GET", "/users/" + id + "/memberOf/microsoft.graph.group?$filter=isAssignableToRole+eq+true&$count=true", map[string]string{"ConsistencyLevel": "eventual"}, "", 200, ""},
		{"patch other field", "PATCH", "/users/" + id, nil, `{"passwordProfile":{"password":"Aa1!aaaaaa"},"displayName":"x"}`, 400, "BadRequest"},
		{"weak password", "PATCH", "/users/" + id, nil, `{"passwordProfile":{"password":"aaaaaaaaaa"}}`, 400, "Request_BadRequest"},
		{"good password", "PATCH", "/users/" + id, nil, `{"passwordProfile":{"password":"Aa1aaaaaaa","forceChangePasswordNextSignIn":true}}`, 204, ""},
		{"too many group ids", "POST", "/users/" + id + "/checkMemberGroups", nil, `{"groupIds":[` + strings.Repeat(`"`+id+`",`, 20) + `"` + id + `"]}`, 400, "Request_BadRequest"},
		{"role filter other property", "GET", "/roleManagement/directory/roleAssignments?$filter=" + url.QueryEscape("roleDefinitionId eq 'x'"), nil, "", 400, "BadRequest"},
		{"path injection", "GET", "/users/x'y", nil, "", 400, "Request_BadRequest"},
		{"profile select", "GET", "/users/" + id + "?$select=id,employeeId,otherMails", nil, "", 200, ""},
		{"no manager", "GET", "/users/" + id + "/manager?$select=id", nil, "", 404, "Request_ResourceNotFound"},
		{"manager unknown select", "GET", "/users/" + id + "/manager?$select=password", nil, "", 400, "BadRequest"},
	}
	for _, c := range cases {
		st, code := send(t, s, tok, c.method, c.path, c.hdr, c.body)
		if st != c.status || code != c.code {
			t.Errorf("%s: %d %q, want %d %q", c.name, st, code, c.status, c.code)
		}
	}
	if st, code := send(t, s, "forged", "GET", "/organization", nil, ""); st != 401 || code != "InvalidAuthenticationToken" {
		t.Errorf("forged token: %d %s", st, code)
	}
	s.Advance(2 * time.Hour)
	if st, code := send(t, s, tok, "GET", "/organization", nil, ""); st != 401 || code != "InvalidAuthenticationToken" {
		t.Errorf("expired token: %d %s", st, code)
	}
}

func TestSyncedWithoutWriteback(t *testing.T) {
	s := New()
	defer s.Close()
	id := "11111111-1111-4111-8111-111111111111"
	s.AddUser(User{ID: id, UPN: "a@contoso.com", Synced: true})
	st, code := send(t, s, token(t, s), "PATCH", "/users/"+id, nil, `{"passwordProfile":{"password":"Aa1aaaaaaa"}}`)
	if st != 400 || code != "Request_BadRequest" || s.User(id).Password != "" {
		t.Fatalf("%d %s", st, code)
	}
}
