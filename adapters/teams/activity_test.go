package teams

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
)

// A card answer goes out byte for byte as rendered (not re-encoded), inside
// Teams' invoke envelope; any other answer is encoded.
func TestWriteAnswerKeepsTheCardAsRendered(t *testing.T) {
	w := httptest.NewRecorder()
	writeAnswer(w, cardAnswer(json.RawMessage(`{ "type" : "AdaptiveCard" }`)))
	if got, want := w.Body.String(), `{"statusCode":200,"type":"application/vnd.microsoft.card.adaptive","value":{ "type" : "AdaptiveCard" }}`; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	w = httptest.NewRecorder()
	writeAnswer(w, invokeResponse{StatusCode: 400, Type: "x", Value: json.RawMessage(`[1]`)})
	if got, want := w.Body.String(), `{"statusCode":400,"type":"x","value":[1]}`; got != want {
		t.Fatalf("other envelope: got %s, want %s", got, want)
	}
	w = httptest.NewRecorder()
	writeAnswer(w, messageAnswer("Done."))
	var back invokeResponse
	if err := json.Unmarshal(w.Body.Bytes(), &back); err != nil || back.Value != "Done." || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("message answer %s: %v", w.Body.String(), err)
	}
}

// The handler's lean activity reads what the SDK's schema.Activity reads,
// for each kind of activity the fake sends; a "value" that is not an
// object is left out, not a refusal.
func TestParseActivityReadsTheSchemasFields(t *testing.T) {
	fake := teamstest.New(t, teamstest.Options{})
	u := teamstest.User{MRI: "29:1tech", AADObjectID: "00000000-0000-0000-0000-00000000aaaa", Name: "Tess Tech"}
	fake.AddUser(u)
	ch := fake.AddChannel("19:helpdesk@thread.tacv2", "19:general@thread.tacv2")
	invoke := fake.Invoke(u, ch, invokeAction, map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": verbRefresh, "data": map[string]any{"request": "r1"}}})
	invoke.ReplyToID = "1700000000001"
	for _, act := range []*schema.Activity{fake.Message(u, fake.Personal(u), "unlock alice"), fake.Message(u, ch, "<at>unlockbot</at> unlock"), invoke} {
		body := fake.Wire(act)
		var want schema.Activity
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatal(err)
		}
		got, err := parseActivity(body)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if got.Type != want.Type || got.ID != want.ID || got.Name != want.Name || got.ServiceURL != want.ServiceURL ||
			got.ChannelID != want.ChannelID || got.Text != want.Text || got.ReplyToID != want.ReplyToID ||
			got.From.ID != want.From.ID || got.From.Name != want.From.Name || got.From.AadObjectID != want.From.AadObjectID ||
			got.Conversation.ID != want.Conversation.ID || got.Conversation.ConversationType != want.Conversation.ConversationType ||
			got.Conversation.TenantID != want.Conversation.TenantID || got.tenant() != tenantOf(&want) || got.tenant() == "" ||
			!reflect.DeepEqual(got.Value, want.Value) {
			t.Fatalf("read %+v\nfrom %s", got, body)
		}
	}
	act, err := parseActivity([]byte(`{"type":"message","id":"1","value":"text","channelData":{}}`))
	if err != nil || act.Value != nil || act.ID != "1" || act.tenant() != "" {
		t.Fatalf("string value: %+v, %v", act, err)
	}
	if _, err := parseActivity([]byte(`{"type":"message","id":1}`)); err == nil {
		t.Fatal("an activity whose id is a number was read")
	}
}
