// Package local keeps tickets in unlockbot's own state store, so the whole
// flow works (and is auditable) before a real PSA is connected. Passwords
// asked for in a note are stored sealed, never in clear.
package local

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/unlockbot/unlockbot/psa"
)

// SealFunc encrypts a password for storage (bot.Sealer.SealBytes).
type SealFunc func(plain []byte, aad string) ([]byte, error)

// Tickets is a psa.Tickets backed by a Store. Keys are namespaced by ns (the
// org id), so orgs never see each other's tickets.
type Tickets struct {
	st   Store
	ns   string
	seal SealFunc
	now  func() time.Time
	// written holds the tickets this client last wrote, with the version
	// written, so the next change (a reset's note, then its resolution)
	// swaps against it without reading the ticket first; another writer
	// since makes the swap conflict, and the ticket is read as before.
	mu      sync.Mutex
	written map[string]versioned
}

// versioned is a ticket record as stored at a version.
type versioned struct {
	rec     record
	version int64
}

// maxWritten bounds Tickets.written: the tickets of the resets in flight.
const maxWritten = 256

// New returns local tickets for one org, kept in st (the bot's state store
// through store.Values, or any Store).
func New(st Store, ns string, seal SealFunc) *Tickets {
	return &Tickets{st: st, ns: ns, seal: seal, now: time.Now}
}

// Note as stored. SealedPassword is base64 of the sealed bytes.
type Note struct {
	Text           string    `json:"text"`
	Internal       bool      `json:"internal"`
	SealedPassword string    `json:"sealed_password,omitempty"`
	Key            string    `json:"key,omitempty"`
	At             time.Time `json:"at"`
}

type record struct {
	psa.Ticket
	Description string `json:"description"`
	Notes       []Note `json:"notes"`
}

const ttl = 90 * 24 * time.Hour

func (t *Tickets) key(id string) string { return "psa:" + t.ns + ":ticket:" + id }

// Health implements psa.Tickets.
func (t *Tickets) Health(ctx context.Context) error {
	_, _, err := t.st.Get(ctx, "psa:"+t.ns+":health")
	if isNotFound(err) {
		return nil
	}
	return err
}

// Ping is Health: one read of the store the tickets live in, cheap enough
// for the readiness probe.
func (t *Tickets) Ping(ctx context.Context) error { return t.Health(ctx) }

// ListOpen implements psa.Tickets.
func (t *Tickets) ListOpen(ctx context.Context, companyID, query string, limit int) ([]psa.Ticket, error) {
	keys, err := t.st.List(ctx, "psa:"+t.ns+":ticket:")
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(query)
	var out []psa.Ticket
	for _, k := range keys {
		rec, _, err := t.load(ctx, strings.TrimPrefix(k, "psa:"+t.ns+":ticket:"))
		if err != nil {
			continue // expired between list and get
		}
		tk := rec.Ticket
		if tk.Closed || tk.CompanyID != companyID {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(tk.Summary), q) && !strings.Contains(tk.ID, q) {
			continue
		}
		out = append(out, tk)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Updated.After(out[j].Updated) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (t *Tickets) load(ctx context.Context, id string) (record, int64, error) {
	val, ver, err := t.st.Get(ctx, t.key(id))
	if isNotFound(err) {
		return record{}, 0, fmt.Errorf("local ticket %s: %w", id, psa.ErrNotFound)
	}
	if err != nil {
		return record{}, 0, err
	}
	var rec record
	if err := json.Unmarshal(val, &rec); err != nil {
		return record{}, 0, err
	}
	return rec, ver, nil
}

// Get implements psa.Tickets.
func (t *Tickets) Get(ctx context.Context, id string) (psa.Ticket, error) {
	rec, _, err := t.load(ctx, id)
	return rec.Ticket, err
}

// Notes returns a ticket's notes (demo transcript and tests).
func (t *Tickets) Notes(ctx context.Context, id string) ([]Note, error) {
	rec, _, err := t.load(ctx, id)
	return rec.Notes, err
}

// Create implements psa.Tickets. The idempotency key maps to the ticket id
// first, so a retried create returns the ticket made the first time.
func (t *Tickets) Create(ctx context.Context, nt psa.NewTicket) (psa.Ticket, error) {
	if nt.Summary == "" || nt.CompanyID == "" {
		return psa.Ticket{}, errors.New("local.Create: summary and company are required")
	}
	id, err := t.nextID(ctx)
	if err != nil {
		return psa.Ticket{}, err
	}
	if nt.IdempotencyKey != "" {
		ik := t.idemKey(nt.IdempotencyKey)
		if err := t.st.Create(ctx, ik, []byte(id), ttl); isConflict(err) {
			prev, _, gerr := t.st.Get(ctx, ik)
			if gerr != nil {
				return psa.Ticket{}, gerr
			}
			if tk, gerr := t.Get(ctx, string(prev)); gerr == nil {
				return tk, nil
			}
			id = string(prev) // reserved but never written: write it now
		} else if err != nil {
			return psa.Ticket{}, err
		}
	}
	rec := record{Ticket: psa.Ticket{ID: id, Summary: nt.Summary, Status: "New", CompanyID: nt.CompanyID, Updated: t.now()}, Description: nt.Description}
	b, _ := json.Marshal(rec)
	if err := t.st.Create(ctx, t.key(id), b, ttl); err != nil {
		return psa.Ticket{}, err
	}
	t.wrote(id, rec, 1)
	return rec.Ticket, nil
}

// wrote keeps rec as written at version (nil rec: forget it).
func (t *Tickets) wrote(id string, rec record, version int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.written == nil || len(t.written) >= maxWritten {
		t.written = map[string]versioned{}
	}
	t.written[id] = versioned{rec: rec, version: version}
}

// lastWritten returns a copy of the ticket as this client last wrote it.
func (t *Tickets) lastWritten(id string) (record, int64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.written[id]
	if ok {
		delete(t.written, id) // used once: a conflict or a change replaces it
		v.rec.Notes = slices.Clone(v.rec.Notes)
	}
	return v.rec, v.version, ok
}

func (t *Tickets) idemKey(key string) string { return "psa:" + t.ns + ":idem:" + key }

// FindCreated implements psa.Tickets from the idempotency index Create
// writes first; a key reserved but never written is "not created".
func (t *Tickets) FindCreated(ctx context.Context, companyID, key string) (psa.Ticket, bool, error) {
	prev, _, err := t.st.Get(ctx, t.idemKey(key))
	if isNotFound(err) {
		return psa.Ticket{}, false, nil
	}
	if err != nil {
		return psa.Ticket{}, false, err
	}
	tk, err := t.Get(ctx, string(prev))
	if errors.Is(err, psa.ErrNotFound) {
		return psa.Ticket{}, false, nil
	}
	if err != nil || tk.CompanyID != companyID {
		return psa.Ticket{}, false, err
	}
	return tk, true, nil
}

// HasNote implements psa.Tickets.
func (t *Tickets) HasNote(ctx context.Context, ticketID, key string) (bool, error) {
	rec, _, err := t.load(ctx, ticketID)
	if err != nil {
		return false, err
	}
	for _, n := range rec.Notes {
		if key != "" && n.Key == key {
			return true, nil
		}
	}
	return false, nil
}

// nextID hands out 1001, 1002, ... per org with compare-and-swap.
func (t *Tickets) nextID(ctx context.Context) (string, error) {
	k := "psa:" + t.ns + ":seq"
	for {
		val, ver, err := t.st.Get(ctx, k)
		if isNotFound(err) {
			if err := t.st.Create(ctx, k, []byte("1001"), 0); err == nil {
				return "1001", nil
			} else if !isConflict(err) {
				return "", err
			}
			continue
		}
		if err != nil {
			return "", err
		}
		n, _ := strconv.Atoi(string(val))
		next := strconv.Itoa(n + 1)
		if err := t.st.CompareAndSwap(ctx, k, ver, []byte(next), 0); err == nil {
			return next, nil
		} else if !isConflict(err) {
			return "", err
		}
	}
}

// AddNote implements psa.Tickets.
func (t *Tickets) AddNote(ctx context.Context, id string, n psa.Note) error {
	if !n.Password.IsZero() && !n.Internal {
		return psa.ErrSecretInPublicNote
	}
	return t.update(ctx, id, func(rec *record) error { return t.noted(rec, id, n) })
}

// noted adds n to rec (the password sealed); errSkip if a note with its
// idempotency key is there.
func (t *Tickets) noted(rec *record, id string, n psa.Note) error {
	for _, old := range rec.Notes {
		if n.IdempotencyKey != "" && old.Key == n.IdempotencyKey {
			return errSkip
		}
	}
	note := Note{Text: n.Text, Internal: n.Internal, Key: n.IdempotencyKey, At: t.now()}
	if !n.Password.IsZero() {
		if t.seal == nil {
			return errors.New("local.AddNote: no sealing key, refusing to store a password")
		}
		sealed, err := t.seal([]byte(n.Password.Reveal()), t.key(id))
		if err != nil {
			return err
		}
		note.SealedPassword = base64.StdEncoding.EncodeToString(sealed)
	}
	rec.Notes = append(rec.Notes, note)
	return nil
}

// Resolve implements psa.Tickets.
func (t *Tickets) Resolve(ctx context.Context, id, comment string) error {
	return t.update(ctx, id, func(rec *record) error { return t.resolved(rec, comment) })
}

// NoteAndResolve implements psa.Finisher: the note and the resolution in
// one write of the ticket (each skipped if already there).
func (t *Tickets) NoteAndResolve(ctx context.Context, id string, n psa.Note, comment string) error {
	if !n.Password.IsZero() && !n.Internal {
		return psa.ErrSecretInPublicNote
	}
	return t.update(ctx, id, func(rec *record) error {
		noted := t.noted(rec, id, n)
		if noted != nil && !errors.Is(noted, errSkip) {
			return noted
		}
		if resolved := t.resolved(rec, comment); resolved != nil && errors.Is(noted, errSkip) {
			return resolved // both there already: nothing to write
		}
		return nil
	})
}

// resolved closes rec with comment; errSkip if it is closed.
func (t *Tickets) resolved(rec *record, comment string) error {
	if rec.Closed {
		return errSkip
	}
	rec.Closed, rec.Status = true, "Resolved"
	rec.Notes = append(rec.Notes, Note{Text: comment, Internal: false, At: t.now()})
	return nil
}

var errSkip = errors.New("nothing to change")

// update changes ticket id with fn: first against the version this client
// last wrote, if it has one, then against the ticket as read, until no
// other writer came between. A store's compare-and-swap moves the version
// by one (both of ours do); one that moves it otherwise costs a conflict
// and a read, never a lost change.
func (t *Tickets) update(ctx context.Context, id string, fn func(*record) error) error {
	rec, v, known := t.lastWritten(id)
	for {
		if !known {
			var err error
			if rec, v, err = t.load(ctx, id); err != nil {
				return err
			}
		}
		known = false
		if err := fn(&rec); errors.Is(err, errSkip) {
			return nil
		} else if err != nil {
			return err
		}
		rec.Updated = t.now()
		b, _ := json.Marshal(rec)
		err := t.st.CompareAndSwap(ctx, t.key(id), v, b, ttl)
		if err == nil {
			t.wrote(id, rec, v+1)
		}
		if !isConflict(err) {
			return err
		}
	}
}
