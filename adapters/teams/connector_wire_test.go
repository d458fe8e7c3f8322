package teams

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/unlockbot/unlockbot/bot"
)

// An outgoing activity's body says what json.Marshal would, with the card
// as rendered: a mention's "<at>" is not escaped to eighteen bytes.
func TestOutgoingWireKeepsTheCardAsRendered(t *testing.T) {
	card := messageCard(bot.Card{Title: "Unlock <at>x</at>", Fields: []bot.Field{{Label: "Requester",
		Person: &bot.Actor{Platform: Platform, ID: "00000000-0000-0000-0000-00000000aaaa", Name: "Tess Tech"}}}})
	for _, m := range []Outgoing{{Text: "hi \"there\"", Summary: "s"}, {Summary: "Unlock <b>", Card: card}} {
		a := m.activity()
		a.ReplyToID = "17"
		got, err := a.wire()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(a)
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		_ = json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
		if m.Card != nil && !bytes.Contains(got, card) {
			t.Fatalf("card not as rendered in %s", got)
		}
	}
	if !bytes.Contains(card, []byte("<at>Tess Tech</at>")) {
		t.Fatalf("no mention in %s", card)
	}
}
