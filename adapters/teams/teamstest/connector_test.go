package teamstest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const testChannel = "19:chan-approvals@thread.tacv2"

var (
	alice = User{MRI: "29:1-alice", AADObjectID: "aad-alice", Name: "Alice"}
	bea   = User{MRI: "29:1-bea", AADObjectID: "aad-bea", Name: "Bea", UPN: "bea@acme.example"}
)

// connFixture is a fake with alice, one channel and a valid token.
type connFixture struct {
	t   *testing.T
	s   *Server
	tok string
}

func newConnFixture(t *testing.T) *connFixture {
	s := New(t, Options{})
	s.AddUser(alice)
	s.AddChannel(testChannel, "19:team@thread.tacv2")
	_, a := postToken(t, s, s.opts.TenantID, tokenForm(s))
	return &connFixture{t: t, s: s, tok: a["access_token"].(string)}
}

type bfAnswer struct {
	status int
	header http.Header
	body   map[string]any
}

func (a bfAnswer) code() string {
	e, _ := a.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (a bfAnswer) str(k string) string { s, _ := a.body[k].(string); return s }

// call sends one connector request; path is under v3/conversations.
func (f *connFixture) call(method, path, body string, hdr ...string) bfAnswer {
	f.t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	} else {
		rd = strings.NewReader("")
	}
	req, err := http.NewRequest(method, f.s.ServiceURL()+"v3/conversations"+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := f.s.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	a := bfAnswer{status: resp.StatusCode, header: resp.Header}
	_ = json.NewDecoder(resp.Body).Decode(&a.body)
	return a
}

func seg(id string) string { return "/" + url.PathEscape(id) }

const msg = `{"type":"message","text":"hello"}`

// thread starts a thread in testChannel and returns its conversation id and root id.
func (f *connFixture) thread() (string, string) {
	f.t.Helper()
	a := f.call("POST", "", `{"isGroup":true,"bot":{"id":"28:`+f.s.opts.AppID+`"},"channelData":{"channel":{"id":"`+testChannel+`"}},"activity":`+msg+`,"tenantId":"`+f.s.opts.TenantID+`"}`)
	if a.status != 201 || a.str("id") != testChannel+";messageid="+a.str("activityId") {
		f.t.Fatalf("create thread: %d %v", a.status, a.body)
	}
	return a.str("id"), a.str("activityId")
}

func TestConnectorChecksTheBearerToken(t *testing.T) {
	f := newConnFixture(t)
	conv := seg(f.s.Personal(alice).ID) + "/activities"
	for name, auth := range map[string]string{"none": "", "forged": "Bearer fake-bf.forged", "basic": "Basic " + f.tok} {
		a := f.call("POST", conv, msg, "Authorization", auth)
		if a.status != 401 || a.str("message") != "Authorization has been denied for this request." {
			t.Errorf("%s: %d %v", name, a.status, a.body)
		}
	}
	f.s.ExpireTokens()
	if a := f.call("POST", conv, msg); a.status != 401 {
		t.Errorf("expired token: %d", a.status)
	}
	if len(f.s.Activities(f.s.Personal(alice).ID)) != 0 {
		t.Error("an unauthorised post was kept")
	}
}

func TestConnectorRejectsWhatTeamsRejects(t *testing.T) {
	f := newConnFixture(t)
	conv, root := f.thread()
	personal := seg(f.s.Personal(alice).ID)
	big := `{"type":"message","text":"` + strings.Repeat("x", MaxActivityBytes) + `"}`
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"unknown conversation", "POST", seg("a:nope") + "/activities", msg, 404, "ConversationNotFound"},
		{"unknown thread", "POST", seg(testChannel+";messageid=42") + "/activities", msg, 404, "ConversationNotFound"},
		{"reply to unknown activity", "POST", seg(conv) + "/activities/42", msg, 404, "ActivityNotFoundInConversation"},
		{"update unknown activity", "PUT", personal + "/activities/" + root, msg, 404, "ActivityNotFoundInConversation"},
		{"too big", "POST", personal + "/activities", big, 413, "MessageSizeTooBig"},
		{"malformed JSON", "POST", personal + "/activities", `{"type":"message",`, 400, "BadArgument"},
		{"no type", "POST", personal + "/activities", `{"text":"hi"}`, 400, "BadArgument"},
		{"unknown type", "POST", personal + "/activities", `{"type":"mesage","text":"hi"}`, 400, "BadArgument"},
		{"empty message", "POST", personal + "/activities", `{"type":"message"}`, 400, "BadArgument"},
		{"hero card", "POST", personal + "/activities", `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.hero","content":{}}]}`, 400, "BadArgument"},
		{"card not an object", "POST", personal + "/activities", `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":"[]"}]}`, 400, "BadArgument"},
		{"update changes id", "PUT", seg(conv) + "/activities/" + root, `{"type":"message","id":"7","text":"x"}`, 400, "BadArgument"},
		{"unknown member", "GET", seg(testChannel) + "/members/29:nobody", "", 404, "MemberNotFoundInConversation"},
		{"member of unknown conversation", "GET", seg("a:nope") + "/members/" + alice.MRI, "", 404, "ConversationNotFound"},
		{"personal with unknown user", "POST", "", `{"members":[{"id":"29:nobody"}],"tenantId":"` + f.s.opts.TenantID + `"}`, 404, "NotFound"},
		{"personal in other tenant", "POST", "", `{"members":[{"id":"` + alice.MRI + `"}],"tenantId":"other"}`, 403, "Forbidden"},
		{"personal without tenant", "POST", "", `{"members":[{"id":"` + alice.MRI + `"}]}`, 400, "BadArgument"},
		{"thread in unknown channel", "POST", "", `{"isGroup":true,"channelData":{"channel":{"id":"19:nope@thread.tacv2"}},"activity":` + msg + `,"tenantId":"` + f.s.opts.TenantID + `"}`, 404, "ConversationNotFound"},
		{"thread without activity", "POST", "", `{"isGroup":true,"channelData":{"channel":{"id":"` + testChannel + `"}},"tenantId":"` + f.s.opts.TenantID + `"}`, 400, "BadArgument"},
		{"thread as other bot", "POST", "", `{"isGroup":true,"bot":{"id":"28:other"},"channelData":{"channel":{"id":"` + testChannel + `"}},"activity":` + msg + `,"tenantId":"` + f.s.opts.TenantID + `"}`, 400, "BadArgument"},
	}
	for _, tc := range cases {
		a := f.call(tc.method, tc.path, tc.body)
		if a.status != tc.status || a.code() != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.name, a.status, a.body, tc.status, tc.code)
		}
	}
	if a := f.call("POST", personal+"/activities", msg, "Content-Type", "text/plain"); a.status != 415 {
		t.Errorf("text/plain body: %d", a.status)
	}
	if got := f.s.Activities(testChannel); len(got) != 1 {
		t.Errorf("refused requests changed the channel: %+v", got)
	}
	if len(f.s.Bodies()) < len(cases) {
		t.Errorf("Bodies has %d entries; every connector body, refused ones too, is recorded", len(f.s.Bodies()))
	}
}

func TestConnectorRejectsInvalidCards(t *testing.T) {
	bad := `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"NoSuchElement"}]}`
	if ValidateCard([]byte(bad)) == nil {
		t.Skip("ValidateCard accepts every card (still the stub)")
	}
	f := newConnFixture(t)
	a := f.call("POST", seg(f.s.Personal(alice).ID)+"/activities",
		`{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":`+bad+`}]}`)
	e, _ := a.body["error"].(map[string]any)
	if a.status != 400 || a.code() != "BadArgument" || !strings.Contains(e["message"].(string), "invalid Adaptive Card") {
		t.Fatalf("%d %v", a.status, a.body)
	}
}

func TestConnectorKeepsThreadsAndVersions(t *testing.T) {
	f := newConnFixture(t)
	conv, root := f.thread()
	_, root2 := f.thread()
	card := `{"type":"AdaptiveCard","version":"1.5","body":[]}`
	r1 := f.call("POST", seg(conv)+"/activities/"+root, `{"type":"message","text":"reply"}`)
	r2 := f.call("POST", seg(conv)+"/activities", `{"type":"message","text":"in thread"}`)
	up := f.call("PUT", seg(conv)+"/activities/"+root, `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":`+card+`}]}`)
	if r1.status != 201 || r2.status != 201 || up.status != 200 || up.str("id") != root {
		t.Fatalf("reply %d, send %d, update %d %v", r1.status, r2.status, up.status, up.body)
	}
	thread := f.s.Activities(conv)
	if len(thread) != 3 || thread[0].ID != root || thread[1].ID != r1.str("id") || thread[2].ID != r2.str("id") {
		t.Fatalf("thread = %+v", thread)
	}
	if thread[0].Versions != 2 || string(thread[0].Card) != card || thread[0].Text != "" {
		t.Fatalf("updated root = %+v", thread[0])
	}
	if thread[1].ReplyToID != root || thread[1].ConversationID != conv || thread[2].ConversationID != conv {
		t.Fatalf("replies = %+v", thread[1:])
	}
	all := f.s.Activities(testChannel)
	if len(all) != 4 || all[1].ID != root2 || all[3].ID != r2.str("id") {
		t.Fatalf("channel = %+v", all)
	}
	if p, ok := f.s.Activity(testChannel, r1.str("id")); !ok || p.Text != "reply" {
		t.Fatalf("Activity = %+v, %v", p, ok)
	}
	if _, ok := f.s.Activity(testChannel, "nope"); ok {
		t.Fatal("Activity found an id never posted")
	}
	if c := f.s.Calls(); c[CallCreate] != 2 || c[CallReply] != 1 || c[CallSend] != 1 || c[CallUpdate] != 1 {
		t.Fatalf("Calls = %v", c)
	}
}

func TestConnectorPersonalChatAndMembers(t *testing.T) {
	f := newConnFixture(t)
	f.s.AddUser(bea)
	want := f.s.Personal(alice).ID
	for _, id := range []string{alice.MRI, alice.AADObjectID} {
		a := f.call("POST", "", `{"isGroup":false,"members":[{"id":"`+id+`"}],"tenantId":"`+f.s.opts.TenantID+`"}`)
		if a.status != 201 || a.str("id") != want {
			t.Fatalf("create personal for %s: %d %v", id, a.status, a.body)
		}
	}
	for _, id := range []string{alice.MRI, alice.AADObjectID} {
		a := f.call("GET", seg(testChannel)+"/members/"+url.PathEscape(id), "")
		if a.status != 200 || a.str("id") != alice.MRI || a.str("aadObjectId") != alice.AADObjectID || a.str("name") != alice.Name || a.str("userRole") != "user" {
			t.Fatalf("member %s: %d %v", id, a.status, a.body)
		}
	}
	// By UPN, without case, as Teams answers a lookup by the directory's
	// address; only in a conversation the person is in.
	if a := f.call("GET", seg(testChannel)+"/members/"+url.PathEscape("Bea@Acme.Example"), ""); a.status != 200 || a.str("id") != bea.MRI || a.str("userPrincipalName") != bea.UPN {
		t.Fatalf("member by UPN: %d %v", a.status, a.body)
	}
	if a := f.call("GET", seg(want)+"/members/"+url.PathEscape(bea.UPN), ""); a.status != 404 || a.code() != "MemberNotFoundInConversation" {
		t.Fatalf("UPN of someone outside the conversation: %d %v", a.status, a.body)
	}
	s := f.call("POST", seg(want)+"/activities", msg)
	if got := f.s.Activities(want); s.status != 201 || len(got) != 1 || got[0].ConversationID != want || got[0].Text != "hello" {
		t.Fatalf("personal post: %d %+v", s.status, got)
	}
}

func TestConnectorThrottleAndFailures(t *testing.T) {
	f := newConnFixture(t)
	path := seg(f.s.Personal(alice).ID) + "/activities"
	f.s.Throttle(1, 1500*time.Millisecond)
	if a := f.call("POST", path, msg); a.status != 429 || a.header.Get("Retry-After") != "2" {
		t.Fatalf("throttled: %d Retry-After %q", a.status, a.header.Get("Retry-After"))
	}
	f.s.FailNext(1, http.StatusServiceUnavailable)
	if a := f.call("POST", path, msg); a.status != 503 {
		t.Fatalf("failing: %d", a.status)
	}
	if a := f.call("POST", path, msg); a.status != 201 {
		t.Fatalf("after: %d", a.status)
	}
	if n := len(f.s.Activities(f.s.Personal(alice).ID)); n != 1 {
		t.Fatalf("activities = %d, want only the one that got through", n)
	}
	if c := f.s.Calls()[CallSend]; c != 3 {
		t.Fatalf("Calls[send] = %d, want every attempt (3)", c)
	}
}
