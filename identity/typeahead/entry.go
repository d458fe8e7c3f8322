package typeahead

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/identity"
)

// entry is one account in the snapshot, packed: a replica holds every
// org it serves (200 orgs × 5,000 accounts is a million entries), so the
// snapshot keeps only what the picker shows and matches, in one string
// per account, and shares what accounts repeat: the parent DN and the
// UPN and mail domains live once in the snapshot's tables.
//
// text holds the segments below back to back; ends[i] is where segment i
// ends. An empty lower-case segment means the original is already lower
// case; an empty rdn / upn / mail local part with its flag set means "the
// same as the username".
type entry struct {
	text    string
	ends    [nSegs]uint16
	parent  uint16 // index into snapshot.parents; 0: rdn holds the whole DN
	upnDom  uint16 // index into snapshot.domains; 0: no "@domain" part
	mailDom uint16
	flags   uint16
	at      uint32 // LockedAt, seconds since the Unix epoch (0: unknown)
	bad     uint8  // bad-password count, capped
}

const (
	segRDN = iota // the first RDN's value as written in the DN
	segUser
	segUPN  // UPN local part
	segMail // mail local part
	segName
	segLowUser
	segLowUPN
	segLowMail
	segLowName
	nSegs
)

const (
	fLocked = 1 << iota
	fDisabled
	fRDNIsUser // the RDN value is the username (segRDN empty)
	fRDNIsName // the RDN value is the display name
	fUPNIsUser // the UPN local part is the username
	fMailIsUser
	fHasUPN
	fHasMail
)

func (e *entry) seg(i int) string {
	start := uint16(0)
	if i > 0 {
		start = e.ends[i-1]
	}
	return e.text[start:e.ends[i]]
}

// low returns the lower-case form of segment i (stored only if it differs).
func (e *entry) low(i int) string {
	if l := e.seg(i + segLowUser - segUser); l != "" {
		return l
	}
	return e.seg(i)
}

func (e *entry) locked() bool { return e.flags&fLocked != 0 }

// local returns the UPN or mail local part (segment i), resolving "same as
// the username".
func (e *entry) local(i int, sameAsUser uint16, lower bool) string {
	if e.flags&sameAsUser != 0 {
		i = segUser
	}
	if lower {
		return e.low(i)
	}
	return e.seg(i)
}

// splitDN cuts a DN after its first RDN's "attr=" and before the first
// unescaped comma: "CN=", "bulk-00001", ",OU=Bulk,DC=x".
func splitDN(dn string) (attr, value, rest string, ok bool) {
	eq := strings.IndexByte(dn, '=')
	if eq <= 0 {
		return "", "", "", false
	}
	for i := eq + 1; i < len(dn); i++ {
		switch dn[i] {
		case '\\':
			i++
		case ',':
			return dn[:eq+1], dn[eq+1 : i], dn[i:], true
		}
	}
	return "", "", "", false
}

// encode packs a into an entry, adding to the snapshot's tables.
func (s *snapshot) encode(a identity.Account) entry {
	var e entry
	var segs [nSegs]string
	segs[segRDN] = a.ID
	if attr, val, rest, ok := splitDN(a.ID); ok {
		if p, ok := s.parents.intern(attr + "\x00" + rest); ok {
			e.parent, segs[segRDN] = p, val
			switch val {
			case a.Username:
				e.flags, segs[segRDN] = e.flags|fRDNIsUser, ""
			case a.DisplayName:
				e.flags, segs[segRDN] = e.flags|fRDNIsName, ""
			}
		}
	}
	segs[segUser], segs[segName] = a.Username, a.DisplayName
	e.upnDom, segs[segUPN] = s.address(a.UPN, a.Username, fUPNIsUser, fHasUPN, &e.flags)
	e.mailDom, segs[segMail] = s.address(a.Mail, a.Username, fMailIsUser, fHasMail, &e.flags)
	for _, i := range []int{segUser, segUPN, segMail, segName} {
		if l := strings.ToLower(segs[i]); l != segs[i] {
			segs[i+segLowUser-segUser] = l
		}
	}
	n := 0
	for _, sg := range segs {
		n += len(sg)
	}
	if n > 0xffff {
		return entry{} // not a real account; dropped by the caller
	}
	var b strings.Builder
	b.Grow(n)
	for i, sg := range segs {
		b.WriteString(sg)
		e.ends[i] = uint16(b.Len())
	}
	e.text = b.String()
	if a.Lock.Locked {
		e.flags |= fLocked
	}
	if a.Disabled {
		e.flags |= fDisabled
	}
	if t := a.Lock.LockedAt.Unix(); !a.Lock.LockedAt.IsZero() && t > 0 && t < 1<<32 {
		e.at = uint32(t)
	}
	e.bad = uint8(min(max(a.Lock.BadCount, 0), 255))
	return e
}

// address splits an UPN or mail into a local part and an interned domain.
func (s *snapshot) address(addr, user string, sameFlag, hasFlag uint16, flags *uint16) (uint16, string) {
	if addr == "" {
		return 0, ""
	}
	*flags |= hasFlag
	local, dom := addr, uint16(0)
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		if d, ok := s.domains.intern(addr[at+1:]); ok {
			local, dom = addr[:at], d
		}
	}
	if dom != 0 && local == user {
		*flags |= sameFlag
		return dom, ""
	}
	return dom, local
}

// account unpacks e into what Search returns.
func (s *snapshot) account(e *entry) identity.Account {
	a := identity.Account{Username: e.seg(segUser), DisplayName: e.seg(segName), InScope: true,
		Disabled: e.flags&fDisabled != 0}
	a.ID = s.id(e)
	a.UPN = s.addr(e, segUPN, e.upnDom, fUPNIsUser, fHasUPN)
	a.Mail = s.addr(e, segMail, e.mailDom, fMailIsUser, fHasMail)
	a.Lock.Locked = e.locked()
	a.Lock.BadCount = int(e.bad)
	if e.at != 0 && a.Lock.Locked {
		a.Lock.LockedAt = time.Unix(int64(e.at), 0).UTC()
	}
	return a
}

func (s *snapshot) id(e *entry) string {
	val := e.seg(segRDN)
	switch {
	case e.flags&fRDNIsUser != 0:
		val = e.seg(segUser)
	case e.flags&fRDNIsName != 0:
		val = e.seg(segName)
	}
	if e.parent == 0 {
		return val
	}
	attr, rest, _ := strings.Cut(s.parents.get(e.parent), "\x00")
	return attr + val + rest
}

func (s *snapshot) addr(e *entry, seg int, dom, sameFlag, hasFlag uint16) string {
	if e.flags&hasFlag == 0 {
		return ""
	}
	local := e.local(seg, sameFlag, false)
	if dom == 0 {
		return local
	}
	return local + "@" + s.domains.get(dom)
}

// keyPrefix reports whether the lower-case UPN or mail of e (segment seg)
// starts with q, without building the string.
func (s *snapshot) keyPrefix(e *entry, q string, seg int, dom, sameFlag, hasFlag uint16) bool {
	if e.flags&hasFlag == 0 {
		return false
	}
	local := e.local(seg, sameFlag, true)
	if dom == 0 || len(q) <= len(local) {
		return strings.HasPrefix(local, q)
	}
	if !strings.HasPrefix(q, local) || q[len(local)] != '@' {
		return false
	}
	return strings.HasPrefix(s.domains.low(dom), q[len(local)+1:])
}

// table interns strings the entries share; index 0 means "none", and a
// full table (65,535 distinct values) makes entries store the text whole.
type table struct {
	index map[string]uint16
	vals  []string
	lows  []string // lower-case vals, for matching
}

func (t *table) intern(v string) (uint16, bool) {
	if i, ok := t.index[v]; ok {
		return i, true
	}
	if len(t.vals) >= 0xffff {
		return 0, false
	}
	if t.index == nil {
		t.index = map[string]uint16{}
		t.vals, t.lows = []string{""}, []string{""}
	}
	v = strings.Clone(v) // not a slice of a larger string kept alive
	t.vals, t.lows = append(t.vals, v), append(t.lows, strings.ToLower(v))
	t.index[v] = uint16(len(t.vals) - 1)
	return uint16(len(t.vals) - 1), true
}

func (t *table) get(i uint16) string { return t.vals[i] }
func (t *table) low(i uint16) string { return t.lows[i] }

// clone copies t before new values are interned, so a snapshot that
// readers still hold never sees its tables change under them.
func (t table) clone() table {
	if t.index == nil {
		return t
	}
	return table{index: maps.Clone(t.index), vals: slices.Clone(t.vals), lows: slices.Clone(t.lows)}
}
