package teams

import (
	"encoding/binary"
	"encoding/json"
	"hash/maphash"
	"sync"

	"github.com/unlockbot/unlockbot/bot"
)

// cardMemo keeps approval cards as rendered, keyed by everything the
// rendering reads: the card's content, which renderer, and the people its
// refresh names. Every change of an approval card makes Teams send each
// approver a refresh, and each gets one of a handful of cards (with or
// without the buttons); drawing and marshalling it again is most of the
// adapter's own work on a refresh. The key is a keyed hash (a seed per
// process, so nobody can aim two cards at one key); a card that holds a
// password is never kept.
type cardMemo struct {
	seed maphash.Seed
	mu   sync.Mutex
	m    map[uint64]json.RawMessage
}

func newCardMemo() *cardMemo { return &cardMemo{seed: maphash.MakeSeed()} }

// maxCards bounds the memo; beyond, it starts over.
const maxCards = 1024

// renderer kinds in the key.
const (
	drawApproval byte = iota + 1
	drawDecider
)

// draw returns render(c, mris), from memory when the same card was drawn
// for the same people before. The bytes are shared: read them, never
// change them.
func (m *cardMemo) draw(kind byte, c bot.Card, mris []string, render func(bot.Card, []string) json.RawMessage) json.RawMessage {
	if !c.Secret.IsZero() {
		return render(c, mris)
	}
	key := m.key(kind, c, mris)
	m.mu.Lock()
	b, ok := m.m[key]
	m.mu.Unlock()
	if ok {
		return b
	}
	b = render(c, mris)
	m.mu.Lock()
	if m.m == nil || len(m.m) >= maxCards {
		m.m = map[uint64]json.RawMessage{}
	}
	m.m[key] = b
	m.mu.Unlock()
	return b
}

// key hashes every field of the card a renderer reads (cardFields in the
// test keeps this list whole), each string with its length so that no two
// cards run together into one input.
func (m *cardMemo) key(kind byte, c bot.Card, mris []string) uint64 {
	var h maphash.Hash
	h.SetSeed(m.seed)
	_ = h.WriteByte(kind)
	num := func(v int) {
		var n [binary.MaxVarintLen64]byte
		_, _ = h.Write(n[:binary.PutUvarint(n[:], uint64(v))])
	}
	str := func(s string) {
		num(len(s))
		_, _ = h.WriteString(s)
	}
	str(c.Title)
	str(c.Text)
	str(c.Footer)
	str(string(c.Tone))
	str(c.Close)
	num(len(c.Fields))
	for _, f := range c.Fields {
		str(f.Label)
		str(f.Value)
		if p := f.Person; p != nil {
			str("person")
			str(p.Platform)
			str(p.Tenant)
			str(p.ID)
			str(p.Name)
		} else {
			str("")
		}
	}
	num(len(c.Actions))
	for _, a := range c.Actions {
		str(string(a.ID))
		str(a.Label)
		str(a.RequestID)
		str(string(a.Style))
	}
	num(len(mris))
	for _, id := range mris {
		str(id)
	}
	return h.Sum64()
}
