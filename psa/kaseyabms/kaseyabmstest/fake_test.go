package kaseyabmstest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/unlockbot/unlockbot/psa/kaseyabms/kaseyabmstest"
)

func login(t *testing.T, f *kaseyabmstest.Server) string {
	t.Helper()
	form := url.Values{"grantType": {"password"}, "userName": {"u"}, "password": {"p"}, "tenant": {"T"}}
	resp, err := http.Post(f.URL+"/v2/security/authenticate", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Success bool
		Result  struct{ AccessToken string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || !out.Success || out.Result.AccessToken == "" {
		t.Fatalf("urlencoded, camelCase login: %+v %v", out, err)
	}
	return out.Result.AccessToken
}

func post(t *testing.T, f *kaseyabmstest.Server, tok, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", f.URL+path, bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestFakeIsStrict(t *testing.T) {
	f := kaseyabmstest.New(t, "t", "u", "p")
	f.AddAccount(1, "A", 2)
	f.AddLookup(kaseyabmstest.TableNoteTypes, 6, "Note")
	id := f.AddTicket(kaseyabmstest.Ticket{AccountID: 1, LocationID: 2, Title: "x"})
	tok := login(t, f)
	notes := "/v2/servicedesk/tickets/" + itoa(id) + "/notes"

	if code, _ := post(t, f, "", "/v2/servicedesk/tickets/search", `{}`); code != http.StatusUnauthorized {
		t.Fatalf("no bearer: %d", code)
	}
	// camelCase is accepted (names match without regard to case).
	if code, body := post(t, f, tok, notes, `{"details":"d","isInternal":true,"noteDate":"2026-01-02T03:04:05Z","typeId":6}`); code != 200 || !strings.Contains(body, `"success":true`) {
		t.Fatalf("camelCase note: %d %s", code, body)
	}
	for name, body := range map[string]string{
		"missing IsInternal": `{"Details":"d","NoteDate":"2026-01-02T03:04:05Z","TypeId":6}`,
		"unknown property":   `{"Details":"d","IsInternal":true,"NoteDate":"2026-01-02T03:04:05Z","TypeId":6,"Private":true}`,
		"wrong type":         `{"Details":"d","IsInternal":"yes","NoteDate":"2026-01-02T03:04:05Z","TypeId":6}`,
		"bad date":           `{"Details":"d","IsInternal":true,"NoteDate":"yesterday","TypeId":6}`,
	} {
		if code, _ := post(t, f, tok, notes, body); code != http.StatusBadRequest {
			t.Errorf("%s: want 400, got %d", name, code)
		}
	}
	if code, _ := post(t, f, tok, "/v2/servicedesk/tickets", `{"Title":"x"}`); code != http.StatusBadRequest {
		t.Errorf("create without required fields: %d", code)
	}
	if code, _ := post(t, f, tok, "/v2/servicedesk/nothing", `{}`); code != http.StatusNotFound {
		t.Errorf("unknown path: %d", code)
	}
	if len(f.Violations()) != 6 {
		t.Fatalf("violations recorded: %q", f.Violations())
	}
	// A wrong password is an error inside HTTP 200.
	code, body := post(t, f, "", "/v2/security/authenticate", "")
	if code != http.StatusUnsupportedMediaType {
		t.Fatalf("JSON authenticate: %d %s", code, body)
	}
	resp, _ := http.PostForm(f.URL+"/v2/security/authenticate", url.Values{"GrantType": {"password"}, "UserName": {"u"}, "Password": {"bad"}, "Tenant": {"t"}})
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"success":false`) || !strings.Contains(string(b), `"code":401`) {
		t.Fatalf("bad login: %d %s", resp.StatusCode, b)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
