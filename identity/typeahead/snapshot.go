package typeahead

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/unlockbot/unlockbot/identity"
)

// snapshot is one org's accounts in picker order (locked first, then by
// label), so a search stops at the limit-th match. It is replaced, never
// changed in place, so a Search holding the old one is never disturbed.
type snapshot struct {
	entries []entry
	parents table
	domains table
}

// batch is what one refresh changed, as the lease holder publishes it.
type batch struct {
	Seq     int64              `json:"seq"`
	Changed []identity.Account `json:"changed,omitempty"`
	Removed []string           `json:"removed,omitempty"`
	// Digest, after a full read: the hash of every ID the directory had,
	// so a replica whose snapshot disagrees (it loaded at another moment)
	// reads the directory itself once instead of keeping a ghost.
	Digest string `json:"digest,omitempty"`
}

func (b *batch) empty() bool { return len(b.Changed) == 0 && len(b.Removed) == 0 }

// normal is an account as a snapshot keeps it, for comparing. scratch
// has its own copy of the tables: the live snapshot's are never written.
func normal(scratch *snapshot, a identity.Account) identity.Account {
	e := scratch.encode(a)
	return scratch.account(&e)
}

// build packs accounts into a fresh snapshot (fresh tables: a full read
// compacts what deltas left behind).
func build(accts []identity.Account) *snapshot {
	s := &snapshot{entries: make([]entry, 0, len(accts))}
	for _, a := range accts {
		if e := s.encode(a); e.text != "" {
			s.entries = append(s.entries, e)
		}
	}
	s.sort()
	return s
}

// diff compares a delta with s: the accounts that are new or differ, and,
// for a full read, the IDs that are gone.
func (s *snapshot) diff(d identity.Delta) batch {
	have := make(map[string]int, len(s.entries))
	for i := range s.entries {
		have[strings.ToLower(s.id(&s.entries[i]))] = i
	}
	var b batch
	scratch := &snapshot{parents: s.parents.clone(), domains: s.domains.clone()}
	seen := make(map[string]bool, len(d.Changed))
	for _, a := range d.Changed {
		key := strings.ToLower(a.ID)
		seen[key] = true
		n := normal(scratch, a)
		if i, ok := have[key]; !ok || !same(s.account(&s.entries[i]), n) {
			b.Changed = append(b.Changed, n)
		}
	}
	if d.Full {
		for key, i := range have {
			if !seen[key] {
				b.Removed = append(b.Removed, s.id(&s.entries[i]))
			}
		}
		slices.Sort(b.Removed)
		b.Digest = digest(d.Changed)
	}
	return b
}

func same(a, b identity.Account) bool {
	return a.ID == b.ID && a.Username == b.Username && a.UPN == b.UPN && a.Mail == b.Mail &&
		a.DisplayName == b.DisplayName && a.Disabled == b.Disabled && a.Lock.Locked == b.Lock.Locked &&
		a.Lock.BadCount == b.Lock.BadCount && a.Lock.LockedAt.Equal(b.Lock.LockedAt)
}

// apply returns s with b applied: changed accounts replace those with the
// same ID (case-insensitive, as DNs compare) or are added, removed ones go.
func (s *snapshot) apply(b batch) *snapshot {
	if b.empty() {
		return s
	}
	drop := make(map[string]bool, len(b.Changed)+len(b.Removed))
	for _, a := range b.Changed {
		drop[strings.ToLower(a.ID)] = true
	}
	for _, id := range b.Removed {
		drop[strings.ToLower(id)] = true
	}
	// Copied tables: interning only appends, so the entries kept from s
	// index the same values, and s stays untouched for its readers.
	n := &snapshot{entries: make([]entry, 0, len(s.entries)+len(b.Changed)), parents: s.parents.clone(), domains: s.domains.clone()}
	for i := range s.entries {
		if !drop[strings.ToLower(s.id(&s.entries[i]))] {
			n.entries = append(n.entries, s.entries[i])
		}
	}
	for _, a := range b.Changed {
		if e := n.encode(a); e.text != "" {
			n.entries = append(n.entries, e)
		}
	}
	n.sort()
	return n
}

// digest hashes the snapshot's IDs the way digest hashes a full read.
func (s *snapshot) digest() string {
	accts := make([]identity.Account, len(s.entries))
	for i := range s.entries {
		accts[i].ID = s.id(&s.entries[i])
	}
	return digest(accts)
}

func digest(accts []identity.Account) string {
	ids := make([]string, len(accts))
	for i, a := range accts {
		ids[i] = strings.ToLower(a.ID)
	}
	slices.Sort(ids)
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// sort orders entries as the picker shows them: locked first, then by
// lower-case label ("display name (username)", or the username).
func (s *snapshot) sort() {
	slices.SortStableFunc(s.entries, func(a, b entry) int {
		if a.locked() != b.locked() {
			if a.locked() {
				return -1
			}
			return 1
		}
		return compareLabels(&a, &b)
	})
}

// labelParts is the lower-case label in pieces, compared without building it.
func labelParts(e *entry) [4]string {
	name, user := e.low(segName), e.low(segUser)
	if e.seg(segName) == "" || e.seg(segName) == e.seg(segUser) {
		return [4]string{user}
	}
	return [4]string{name, " (", user, ")"}
}

func compareLabels(a, b *entry) int {
	pa, pb := labelParts(a), labelParts(b)
	i, j, x, y := 0, 0, 0, 0 // part and byte positions in a and b
	for {
		for i < len(pa) && x == len(pa[i]) {
			i, x = i+1, 0
		}
		for j < len(pb) && y == len(pb[j]) {
			j, y = j+1, 0
		}
		switch {
		case i == len(pa) && j == len(pb):
			return 0
		case i == len(pa):
			return -1
		case j == len(pb):
			return 1
		}
		if ca, cb := pa[i][x], pb[j][y]; ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
		x, y = x+1, y+1
	}
}

// search returns at most limit accounts matching q (lower case), in order.
func (s *snapshot) search(q string, limit int) []identity.Account {
	var out []identity.Account
	for i := range s.entries {
		e := &s.entries[i]
		if q == "" && !e.locked() {
			break // locked accounts come first: the rest are not locked
		}
		if q == "" || s.matches(e, q) {
			out = append(out, s.account(e))
			if len(out) == limit {
				break
			}
		}
	}
	return out
}

func (s *snapshot) matches(e *entry, q string) bool {
	return strings.HasPrefix(e.low(segUser), q) || strings.HasPrefix(e.low(segName), q) ||
		s.keyPrefix(e, q, segUPN, e.upnDom, fUPNIsUser, fHasUPN) ||
		s.keyPrefix(e, q, segMail, e.mailDom, fMailIsUser, fHasMail)
}

// unlocked returns s with the lock hint of id cleared (nil if it was not locked).
func (s *snapshot) unlocked(id string) *snapshot {
	for i := range s.entries {
		if s.entries[i].locked() && strings.EqualFold(s.id(&s.entries[i]), id) {
			a := s.account(&s.entries[i])
			a.Lock = identity.LockState{}
			return s.apply(batch{Changed: []identity.Account{a}})
		}
	}
	return nil
}
