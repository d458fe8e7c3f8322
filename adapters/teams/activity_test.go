package teams

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
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
	writeAnswer(w, messageAnswer("Done."))
	var back invokeResponse
	if err := json.Unmarshal(w.Body.Bytes(), &back); err != nil || back.Value != "Done." || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("message answer %s: %v", w.Body.String(), err)
	}
}
