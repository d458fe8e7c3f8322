package teams

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/unlockbot/unlockbot/bot"
)

// The memo holds at most maxCards: the card after the last that fits
// starts it over, and is itself kept (mutation testing found the bound
// one card loose).
func TestCardMemoStartsOverPastItsBound(t *testing.T) {
	m := newCardMemo()
	renders := 0
	render := func(c bot.Card, mris []string) json.RawMessage {
		renders++
		return json.RawMessage(fmt.Sprintf("%q", c.Footer))
	}
	card := func(i int) bot.Card { c := memoCard(); c.Footer = fmt.Sprint("Request ", i); return c }
	for i := range maxCards {
		m.draw(drawDecider, card(i), nil, render)
	}
	if len(m.m) != maxCards {
		t.Fatalf("%d distinct cards drawn, %d kept; want all of them", maxCards, len(m.m))
	}
	m.draw(drawDecider, card(maxCards), nil, render)
	if len(m.m) != 1 {
		t.Fatalf("after card %d the memo holds %d, want it started over with that one alone", maxCards+1, len(m.m))
	}
	renders = 0
	m.draw(drawDecider, card(maxCards), nil, render)
	if renders != 0 {
		t.Fatal("the card that started the memo over was not kept")
	}
}
