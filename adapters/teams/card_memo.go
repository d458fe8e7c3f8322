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
	drawForm
)

// draw returns render(c, mris), from memory when the same card was drawn
// for the same people before. The bytes are shared: read them, never
// change them.
func (m *cardMemo) draw(kind byte, c bot.Card, mris []string, render func(bot.Card, []string) json.RawMessage) json.RawMessage {
	if !c.Secret.IsZero() {
		return render(c, mris)
	}
	return m.kept(m.key(kind, c, mris), func() json.RawMessage { return render(c, mris) })
}

// blankForm is formCard(f, where, nil, nil, nil), the form as it opens
// (nothing typed, no errors, no facts), from memory when drawn before:
// every "unlock" a technician types draws the same one.
func (m *cardMemo) blankForm(f bot.Form, where string) json.RawMessage {
	return m.kept(m.formKey(f, where), func() json.RawMessage { return formCard(f, where, nil, nil, nil) })
}

func (m *cardMemo) kept(key uint64, render func() json.RawMessage) json.RawMessage {
	m.mu.Lock()
	b, ok := m.m[key]
	m.mu.Unlock()
	if ok {
		return b
	}
	b = render()
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
	var h keyHash
	m.start(&h, kind)
	h.str(c.Title, c.Text, c.Footer, string(c.Tone), c.Close)
	h.num(len(c.Fields))
	for _, f := range c.Fields {
		h.str(f.Label, f.Value)
		if p := f.Person; p != nil {
			h.str("person", p.Platform, p.Tenant, p.ID, p.Name)
		} else {
			h.str("")
		}
	}
	h.num(len(c.Actions))
	for _, a := range c.Actions {
		h.str(string(a.ID), a.Label, a.RequestID, string(a.Style))
	}
	h.num(len(mris))
	h.str(mris...)
	return h.Sum64()
}

// formKey hashes every field of a form formCard reads, and where it is
// shown (cardFields again).
func (m *cardMemo) formKey(f bot.Form, where string) uint64 {
	var h keyHash
	m.start(&h, drawForm)
	h.str(where, string(f.ID), f.Title, f.Submit, f.Cancel, f.Context)
	h.num(len(f.Fields))
	for _, fd := range f.Fields {
		h.str(string(fd.ID), fd.Label, string(fd.Widget), fd.Hint, fd.Heading, fd.Placeholder)
		h.flag(fd.Optional, fd.Checked, fd.Live)
		h.num(fd.MinQuery)
		h.num(len(fd.Options))
		for _, o := range fd.Options {
			h.str(o.Value, o.Label, o.Hint)
		}
		if o := fd.Initial; o != nil {
			h.str("initial", o.Value, o.Label, o.Hint)
		} else {
			h.str("")
		}
	}
	return h.Sum64()
}

// keyHash is a seeded maphash that writes each value with its length.
// It lives on its caller's stack: a key is hashed on every refresh.
type keyHash struct{ maphash.Hash }

func (m *cardMemo) start(h *keyHash, kind byte) {
	h.SetSeed(m.seed)
	_ = h.WriteByte(kind)
}

func (h *keyHash) num(v int) {
	var n [binary.MaxVarintLen64]byte
	_, _ = h.Write(n[:binary.PutVarint(n[:], int64(v))])
}

func (h *keyHash) str(ss ...string) {
	for _, s := range ss {
		h.num(len(s))
		_, _ = h.WriteString(s)
	}
}

func (h *keyHash) flag(bs ...bool) {
	for _, b := range bs {
		v := byte(0)
		if b {
			v = 1
		}
		_ = h.WriteByte(v)
	}
}
