package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// Version is the record schema version (docs/audit-events.md).
const Version = 1

// Record is one sealed line of a trail: the event, its place in a chain
// (sequence number and the hash of the record before it) and an HMAC over
// the rest. Deleting, inserting, reordering or editing a record breaks the
// chain at that record, and a record cannot be forged without the key.
type Record struct {
	V     int    `json:"v"`
	Chain string `json:"chain,omitempty"` // which trail: one per file, stream or syslog sender
	Seq   uint64 `json:"seq"`
	Prev  string `json:"prev"` // SHA-256 (hex) of the previous record's line; "" for the first
	Event
	KeyID string `json:"kid"`
	MAC   string `json:"mac,omitempty"`
}

// Link is where a chain stands: the last record's sequence number and hash.
// The zero Link is the start of a new chain.
type Link struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// macSuffix is how every sealed line ends: the MAC is the last field, so it
// covers the exact bytes before it and a verifier needs no canonical form.
const (
	macField  = `,"mac":"`
	macSuffix = len(macField) + 64 + 2 // field, hex HMAC-SHA256, `"}`
)

// Continued is the type of the record a sink writes first in a new file
// (after rotation or truncation): the chain goes on from the last record of
// the file before, so a rotated trail still verifies end to end.
const Continued = "audit.continued"

// Keyring holds the HMAC keys by id: Current seals, all of them verify, so
// a key can be rotated without breaking older records.
type Keyring struct {
	Current string
	keys    map[string][]byte
}

// MinKeyLen is the shortest HMAC key accepted (256 bits).
const MinKeyLen = 32

// NewKeyring checks the keys and that current is one of them.
func NewKeyring(current string, keys map[string][]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("audit: no HMAC key configured")
	}
	k := &Keyring{Current: current, keys: map[string][]byte{}}
	for id, key := range keys {
		if id == "" || len(id) > 64 {
			return nil, errors.New("audit: an HMAC key id must be 1 to 64 characters")
		}
		if len(key) < MinKeyLen {
			return nil, fmt.Errorf("audit: HMAC key %q is %d bytes; use at least %d random bytes", id, len(key), MinKeyLen)
		}
		k.keys[id] = append([]byte(nil), key...)
	}
	if _, ok := k.keys[current]; !ok {
		return nil, fmt.Errorf("audit: the current HMAC key %q is not among the configured keys", current)
	}
	return k, nil
}

func (k *Keyring) mac(id string, body []byte) ([]byte, bool) {
	key, ok := k.keys[id]
	if !ok {
		return nil, false
	}
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil), true
}

// Seal makes the line (without newline) for e at seq after prev, and its
// hash for the next record's Prev.
func (k *Keyring) Seal(chain string, at Link, e Event) (line []byte, next Link, err error) {
	r := Record{V: Version, Chain: chain, Seq: at.Seq + 1, Prev: at.Hash, Event: e, KeyID: k.Current}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, Link{}, fmt.Errorf("audit: encode: %w", err)
	}
	sum, _ := k.mac(k.Current, body)
	line = append([]byte(nil), body[:len(body)-1]...)
	line = append(line, macField...)
	line = hex.AppendEncode(line, sum)
	line = append(line, '"', '}')
	return line, Link{Seq: r.Seq, Hash: Hash(line)}, nil
}

// Hash is the chain hash of a sealed line.
func Hash(line []byte) string {
	s := sha256.Sum256(line)
	return hex.EncodeToString(s[:])
}

// Open checks a line's MAC and decodes it. It does not check the chain;
// a Verifier does.
func (k *Keyring) Open(line []byte) (Record, error) {
	var r Record
	n := len(line)
	if n <= macSuffix || !bytes.Equal(line[n-macSuffix:n-macSuffix+len(macField)], []byte(macField)) || line[n-1] != '}' || line[n-2] != '"' {
		return r, errors.New("not a sealed record (no MAC at the end)")
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return r, fmt.Errorf("not valid JSON: %v", err)
	}
	got, err := hex.DecodeString(string(line[n-macSuffix+len(macField) : n-2]))
	if err != nil || r.MAC != string(line[n-macSuffix+len(macField):n-2]) {
		return r, errors.New("the MAC field is malformed")
	}
	body := append(append([]byte(nil), line[:n-macSuffix]...), '}')
	want, ok := k.mac(r.KeyID, body)
	if !ok {
		return r, fmt.Errorf("signed with unknown key %q", r.KeyID)
	}
	if !hmac.Equal(got, want) {
		return r, errors.New("the MAC does not match: the record was edited or not written by unlockbot")
	}
	if r.V != Version {
		return r, fmt.Errorf("record version %d, this unlockbot reads %d", r.V, Version)
	}
	return r, nil
}

// Chain seals events one after another for one writer (a file, a syslog
// sender). Safe for concurrent use; the order of Seal calls is the order.
type Chain struct {
	mu   sync.Mutex
	keys *Keyring
	id   string
	at   Link
}

// NewChain continues the chain id after at (the zero Link starts it).
func NewChain(keys *Keyring, id string, at Link) *Chain {
	return &Chain{keys: keys, id: id, at: at}
}

// Seal makes the next line. The caller must write the lines in the order
// Seal returned them.
func (c *Chain) Seal(e Event) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	line, next, err := c.keys.Seal(c.id, c.at, e)
	if err != nil {
		return nil, err
	}
	c.at = next
	return line, nil
}

// At is the last sealed record's link.
func (c *Chain) At() Link {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

// ID is the chain's name.
func (c *Chain) ID() string { return c.id }

// EphemeralKeyring seals with a random key that dies with the process: for
// the demo and tests, whose trails nobody verifies later.
func EphemeralKeyring() *Keyring {
	key := make([]byte, MinKeyLen)
	if _, err := rand.Read(key); err != nil {
		panic(err)
	}
	k, _ := NewKeyring("ephemeral", map[string][]byte{"ephemeral": key})
	return k
}
