package bot

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/unlockbot/unlockbot/identity"
)

// Sealer encrypts pending passwords with AES-256-GCM before they touch the
// store. The request id is the additional data, so a sealed value moved to
// another request's key does not open. It also holds the key, derived from
// the same secret, that authenticates request records (integrity.go).
type Sealer struct {
	aead   cipher.AEAD
	macKey []byte
}

// macInfo separates the record-MAC key from the encryption key: one secret
// in config, two keys that never double for each other.
const macInfo = "unlockbot request records v1"

// NewSealer takes a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("seal key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	mk, err := hkdf.Key(sha256.New, key, nil, macInfo, 32)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, macKey: mk}, nil
}

// NewEphemeralSealer makes a random key that lives as long as the process:
// fine for the single-process embedded store, where the data dies with it.
func NewEphemeralSealer() *Sealer {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	s, _ := NewSealer(key)
	return s
}

// Seal encrypts s bound to aad.
func (s *Sealer) Seal(secret identity.Secret, aad string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, []byte(secret.Reveal()), []byte(aad)), nil
}

// SealBytes is Seal for callers (psa/local) that hold plain bytes.
func (s *Sealer) SealBytes(plain []byte, aad string) ([]byte, error) {
	return s.Seal(identity.NewSecret(string(plain)), aad)
}

// Open decrypts what Seal produced for the same aad.
func (s *Sealer) Open(sealed []byte, aad string) (identity.Secret, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() { // no room for the nonce and the tag
		return identity.Secret{}, errors.New("sealed value too short")
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(aad))
	if err != nil {
		return identity.Secret{}, errors.New("sealed value does not open (wrong key or tampered)")
	}
	return identity.NewSecret(string(plain)), nil
}
