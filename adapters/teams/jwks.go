package teams

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"
)

// Limits of the key fetch. The metadata and the JWKS are a few KiB; a
// bigger answer is not the Bot Framework's and is refused rather than read.
const (
	fetchTimeout    = 10 * time.Second
	maxKeyDocBytes  = 1 << 20
	minRefreshEvery = time.Minute    // unknown kids refresh at most this often
	keysMaxAge      = 24 * time.Hour // keys older than this are refreshed in the background
	keysHardMaxAge  = 72 * time.Hour // keys older than this are not trusted at all
	minRSABits      = 2048
)

// signingKey is one key of the JWKS with the channels it is endorsed for.
type signingKey struct {
	pub          *rsa.PublicKey
	endorsements []string
}

func (k *signingKey) endorses(channel string) bool {
	for _, e := range k.endorsements {
		if e == channel {
			return true
		}
	}
	return false
}

// keySnapshot is one fetch's keys; it is replaced whole, never changed, so
// readers need no lock.
type keySnapshot struct {
	keys      map[string]*signingKey
	fetchedAt time.Time
}

// keyCache holds the Bot Framework's signing keys. Refreshes are shared by
// concurrent callers (singleflight) and, unless forced, happen at most once
// per minRefreshEvery whatever their outcome, so a flood of tokens with
// made-up kids, or an outage of the endpoint, costs the endpoint one request
// a minute.
type keyCache struct {
	metadataURL string
	client      *http.Client
	now         func() time.Time
	log         zerolog.Logger

	cur atomic.Pointer[keySnapshot]

	mu          sync.Mutex
	lastAttempt time.Time // of a refresh, successful or not
	lastErr     error     // of the latest refresh

	flight       singleflight.Group
	bgRunning    atomic.Bool
	bg           sync.WaitGroup // the background refresh, so tests can wait for it
	metadataHost string
}

func newKeyCache(metadataURL string, client *http.Client, now func() time.Time, log zerolog.Logger) *keyCache {
	host := metadataURL
	if u, err := url.Parse(metadataURL); err == nil && u.Host != "" {
		host = u.Host
	}
	return &keyCache{metadataURL: metadataURL, client: client, now: now, log: log, metadataHost: host}
}

// errRefreshSkipped means the rate limit kept a refresh from running.
var errRefreshSkipped = errors.New("refresh skipped: the keys were refreshed less than a minute ago")

// key returns the key named kid. An unknown kid, or no keys yet, triggers a
// rate-limited refresh; keys past keysMaxAge are refreshed in the
// background while the current ones keep serving.
func (c *keyCache) key(ctx context.Context, kid string) (*signingKey, error) {
	snap := c.cur.Load()
	if snap != nil {
		age := c.now().Sub(snap.fetchedAt)
		if age >= keysMaxAge {
			c.refreshInBackground()
		}
		if age >= keysHardMaxAge {
			// A key the Bot Framework withdrew (a compromise) must not
			// work forever while its endpoint cannot be reached.
			c.log.Error().Dur("age", age).Msg("teams signing keys: not refreshed for 3 days; refusing every activity until the Bot Framework's keys can be fetched")
			err := c.refresh(ctx, false)
			if errors.Is(err, errRefreshSkipped) {
				err = nil // another caller just tried: its keys, if it got them, decide
			}
			if err != nil || c.now().Sub(c.cur.Load().fetchedAt) >= keysHardMaxAge {
				return nil, &AuthError{Reason: "keys_unavailable", err: errors.Join(errors.New("the signing keys are over 3 days old"), err)}
			}
			snap = c.cur.Load()
		}
		if k, ok := snap.keys[kid]; ok {
			return k, nil
		}
	}
	err := c.refresh(ctx, false)
	if snap = c.cur.Load(); snap != nil {
		if k, ok := snap.keys[kid]; ok {
			return k, nil
		}
	}
	if errors.Is(err, errRefreshSkipped) {
		// Not our turn to refresh: what the latest refresh found decides.
		err = c.latestErr()
	}
	if err != nil {
		return nil, &AuthError{Reason: "keys_unavailable", err: err}
	}
	return nil, &AuthError{Reason: "unknown_key"}
}

// latestErr is the outcome of the latest refresh (nil: it succeeded).
func (c *keyCache) latestErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastErr == nil && c.cur.Load() == nil {
		return errors.New("the Bot Framework signing keys have not been fetched yet")
	}
	return c.lastErr
}

// refreshInBackground starts at most one refresh that outlives no one: it
// has its own timeout and ends with it.
func (c *keyCache) refreshInBackground() {
	if !c.bgRunning.CompareAndSwap(false, true) {
		return
	}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		defer c.bgRunning.Store(false)
		if err := c.refresh(context.Background(), false); err != nil && !errors.Is(err, errRefreshSkipped) {
			c.log.Warn().Err(err).Msg("teams signing keys: periodic refresh failed; the current keys stay in use")
		}
	}()
}

// refresh fetches metadata and JWKS and installs the keys. Concurrent
// callers share one fetch; the fetch runs on a context of its own (with
// fetchTimeout) so one caller giving up does not fail the others, while
// each caller still stops waiting when its own ctx ends.
func (c *keyCache) refresh(ctx context.Context, force bool) error {
	name := "limited"
	if force {
		name = "forced"
	}
	ch := c.flight.DoChan(name, func() (any, error) {
		c.mu.Lock()
		now := c.now()
		if !force && !c.lastAttempt.IsZero() && now.Sub(c.lastAttempt) < minRefreshEvery {
			c.mu.Unlock()
			return nil, errRefreshSkipped
		}
		c.lastAttempt = now
		c.mu.Unlock()

		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
		defer cancel()
		keys, err := c.fetch(fctx)
		if err == nil {
			// Keys first, then the outcome: a reader that sees no error
			// also sees the new keys.
			c.cur.Store(&keySnapshot{keys: keys, fetchedAt: now})
		}
		c.mu.Lock()
		c.lastErr = err
		c.mu.Unlock()
		if err != nil {
			c.log.Warn().Err(err).Msg("teams signing keys: refresh failed")
			return nil, err
		}
		c.log.Debug().Int("keys", len(keys)).Msg("teams signing keys refreshed")
		return nil, nil
	})
	select {
	case r := <-ch:
		return r.Err
	case <-ctx.Done():
		return fmt.Errorf("gave up waiting for the Bot Framework signing keys: %w", ctx.Err())
	}
}

// openIDMetadata is the part of the OpenID metadata we read.
type openIDMetadata struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

type jwkSet struct {
	Keys []jwk `json:"keys"`
}

type jwk struct {
	Kty          string   `json:"kty"`
	Use          string   `json:"use"`
	Kid          string   `json:"kid"`
	N            string   `json:"n"`
	E            string   `json:"e"`
	Endorsements []string `json:"endorsements"`
}

func (c *keyCache) fetch(ctx context.Context) (map[string]*signingKey, error) {
	var md openIDMetadata
	if err := c.getJSON(ctx, c.metadataURL, &md); err != nil {
		return nil, fmt.Errorf("could not fetch the Bot Framework OpenID metadata from %s: %w", c.metadataHost, err)
	}
	u, err := url.Parse(md.JWKSURI)
	if err != nil || !secureOrLoopback(u) || u.User != nil {
		return nil, fmt.Errorf("the Bot Framework OpenID metadata at %s names no usable jwks_uri", c.metadataHost)
	}
	var set jwkSet
	if err := c.getJSON(ctx, md.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("could not fetch the Bot Framework signing keys from %s: %w", u.Host, err)
	}
	keys := make(map[string]*signingKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || k.Kid == "" {
			continue
		}
		pub, err := rsaKey(k.N, k.E)
		if err != nil {
			c.log.Warn().Str("kid", k.Kid).Err(err).Msg("teams signing keys: key skipped")
			continue
		}
		keys[k.Kid] = &signingKey{pub: pub, endorsements: append([]string(nil), k.Endorsements...)}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("the Bot Framework published no usable RSA signing keys at %s", u.Host)
	}
	return keys, nil
}

// getJSON GETs url into v: a 200 answer of at most maxKeyDocBytes.
func (c *keyCache) getJSON(ctx context.Context, rawURL string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return fmt.Errorf("bad URL: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is already named by the caller's sentence
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxKeyDocBytes))
		return fmt.Errorf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKeyDocBytes+1))
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if len(body) > maxKeyDocBytes {
		return fmt.Errorf("the answer is larger than %d bytes", maxKeyDocBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("the answer is not the JSON expected: %w", err)
	}
	return nil
}

// rsaKey decodes a JWK's modulus and exponent (base64url, RFC 7518 §6.3.1).
// Keys under 2048 bits and implausible exponents are refused: the Bot
// Framework uses neither, and a weak key would make every token forgeable.
func rsaKey(n64, e64 string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(n64, "="))
	if err != nil || len(nb) == 0 {
		return nil, errors.New("modulus is not base64url")
	}
	eb, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(e64, "="))
	if err != nil || len(eb) == 0 || len(eb) > 4 {
		return nil, errors.New("exponent is not a base64url integer of at most 32 bits")
	}
	n := new(big.Int).SetBytes(nb)
	if n.BitLen() < minRSABits {
		return nil, fmt.Errorf("modulus has %d bits, fewer than %d", n.BitLen(), minRSABits)
	}
	var e int64
	for _, b := range eb {
		e = e<<8 | int64(b)
	}
	if e < 3 || e%2 == 0 || e > 1<<31-1 {
		return nil, fmt.Errorf("exponent %d is not a valid RSA exponent", e)
	}
	return &rsa.PublicKey{N: n, E: int(e)}, nil
}
