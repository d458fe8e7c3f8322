package teamstest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/infracloudio/msbotbuilder-go/schema"
)

// The Bot Framework's issuer and the channel Teams activities come from.
const (
	BotFrameworkIssuer = "https://api.botframework.com"
	ChannelTeams       = "msteams"
)

// Paths of the OpenID side of the fake (MetadataURL is the first).
const (
	metadataPath = "/openid/v1/.well-known/openidconfiguration"
	jwksPath     = "/openid/v1/.well-known/keys"
)

// keyPool holds the RSA keys of every Server in the test binary. A 2048-bit
// key takes tens of milliseconds to generate; a few shared keys keep a
// suite of many small servers fast. Servers tell them apart by kid.
var keyPool struct {
	sync.Mutex
	keys []*rsa.PrivateKey
}

func pooledKey(i int) *rsa.PrivateKey {
	keyPool.Lock()
	defer keyPool.Unlock()
	for len(keyPool.keys) <= i {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic("teamstest: generating an RSA key: " + err.Error())
		}
		keyPool.keys = append(keyPool.keys, k)
	}
	return keyPool.keys[i]
}

// signer is one key of the fake: published in the JWKS or not, endorsed
// for msteams or not.
type signer struct {
	kid          string
	priv         *rsa.PrivateKey
	endorsements []string
	published    bool
}

// inbound is what the Bot Framework does towards the bot: publish its
// OpenID metadata and keys, and sign the activities it delivers.
type inbound struct {
	s *Server

	mu             sync.Mutex
	nextPool       int
	current        *signer   // signs by default
	keys           []*signer // every key this server made, published or not
	unendorsed     *signer   // published, but not for msteams
	unpublished    *signer   // never published: UnknownKey, ForgedSignature
	down           bool
	metaFetches    int
	jwksFetches    int
	lastActivityID int64
	fullEntities   map[string][]map[string]any // activity id → entities as Teams sends them
}

func newInbound(s *Server) *inbound {
	in := &inbound{s: s, fullEntities: map[string][]map[string]any{}}
	in.current = in.newSigner([]string{ChannelTeams, "msteams-government"}, true)
	in.unendorsed = in.newSigner([]string{"skype"}, true)
	in.unpublished = in.newSigner([]string{ChannelTeams}, false)
	return in
}

// newSigner takes the next pooled key under a kid of this server's own.
// Call with in.mu held or before the server is shared.
func (in *inbound) newSigner(endorsements []string, published bool) *signer {
	k := &signer{kid: newKID(), priv: pooledKey(in.nextPool), endorsements: endorsements, published: published}
	in.nextPool++
	in.keys = append(in.keys, k)
	return k
}

func (in *inbound) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+metadataPath, in.metadata)
	mux.HandleFunc("GET "+jwksPath, in.jwks)
}

func (in *inbound) metadata(w http.ResponseWriter, r *http.Request) {
	in.mu.Lock()
	in.metaFetches++
	down := in.down
	in.mu.Unlock()
	if down {
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	inboundJSON(w, map[string]any{
		"issuer":                                BotFrameworkIssuer,
		"authorization_endpoint":                "https://invalid.botframework.com",
		"jwks_uri":                              in.s.srv.URL + jwksPath,
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
	})
}

func (in *inbound) jwks(w http.ResponseWriter, r *http.Request) {
	in.mu.Lock()
	in.jwksFetches++
	down := in.down
	var keys []map[string]any
	for _, k := range in.keys {
		if k.published {
			keys = append(keys, jwkOf(k))
		}
	}
	in.mu.Unlock()
	if down {
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	inboundJSON(w, map[string]any{"keys": keys})
}

// jwkOf is a key as the Bot Framework's JWKS lists it. x5t stands in for
// the certificate thumbprint: SHA-1 of the public key's DER.
func jwkOf(k *signer) map[string]any {
	der, _ := x509.MarshalPKIXPublicKey(&k.priv.PublicKey)
	thumb := sha1.Sum(der)
	return map[string]any{
		"kty":          "RSA",
		"use":          "sig",
		"kid":          k.kid,
		"x5t":          base64.RawURLEncoding.EncodeToString(thumb[:]),
		"n":            base64.RawURLEncoding.EncodeToString(k.priv.N.Bytes()),
		"e":            base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.priv.E)).Bytes()),
		"endorsements": k.endorsements,
	}
}

// MetadataFetches counts GETs of the OpenID metadata (answered or not).
func (s *Server) MetadataFetches() int {
	s.in.mu.Lock()
	defer s.in.mu.Unlock()
	return s.in.metaFetches
}

// JWKSFetches counts GETs of the JWKS (answered or not).
func (s *Server) JWKSFetches() int {
	s.in.mu.Lock()
	defer s.in.mu.Unlock()
	return s.in.jwksFetches
}

// SetMetadataDown makes the metadata and the JWKS answer 503 (down) or
// serve again.
func (s *Server) SetMetadataDown(down bool) {
	s.in.mu.Lock()
	defer s.in.mu.Unlock()
	s.in.down = down
}

// RotateKeys publishes a new signing key and signs with it from now on.
// keepOld keeps the previous keys in the JWKS (Microsoft's overlap);
// without it only the new key (and the unendorsed one) stays published.
func (s *Server) RotateKeys(keepOld bool) {
	s.in.mu.Lock()
	defer s.in.mu.Unlock()
	if !keepOld {
		for _, k := range s.in.keys {
			if k != s.in.unendorsed {
				k.published = false
			}
		}
	}
	s.in.current = s.in.newSigner([]string{ChannelTeams, "msteams-government"}, true)
}

// SigningKeyID is the kid Authorization signs with now; with KeyID a
// test signs with it again after a rotation.
func (s *Server) SigningKeyID() string {
	s.in.mu.Lock()
	defer s.in.mu.Unlock()
	return s.in.current.kid
}

// TokenOption changes one thing about the token Authorization signs.
type TokenOption func(*tokenSpec)

type tokenSpec struct {
	skew           time.Duration
	expired, early bool
	aud, iss, svc  *string
	kid            string // sign with this server key (KeyID)
	unknownKey     bool
	forged         bool
	noEndorsement  bool
	algNone, hs256 bool
	method         jwt.SigningMethod // SignedWith
	dropClaims     []string
}

// Expired: exp an hour ago (beyond any leeway).
func Expired() TokenOption { return func(t *tokenSpec) { t.expired = true } }

// NotYetValid: nbf ten minutes ahead (beyond the 5-minute leeway).
func NotYetValid() TokenOption { return func(t *tokenSpec) { t.early = true } }

// Audience replaces aud (the bot's app id).
func Audience(aud string) TokenOption { return func(t *tokenSpec) { t.aud = &aud } }

// Issuer replaces iss.
func Issuer(iss string) TokenOption { return func(t *tokenSpec) { t.iss = &iss } }

// ServiceURLClaim replaces the serviceurl claim (the activity's serviceUrl).
func ServiceURLClaim(u string) TokenOption { return func(t *tokenSpec) { t.svc = &u } }

// UnknownKey signs with a key the JWKS never lists, under a fresh kid each
// time (a flood of made-up kids).
func UnknownKey() TokenOption { return func(t *tokenSpec) { t.unknownKey = true } }

// ForgedSignature names the current key's kid but signs with another key.
func ForgedSignature() TokenOption { return func(t *tokenSpec) { t.forged = true } }

// NoEndorsement signs with a published key that is not endorsed for msteams.
func NoEndorsement() TokenOption { return func(t *tokenSpec) { t.noEndorsement = true } }

// AlgNone sends an unsigned token (alg "none") under the current kid.
func AlgNone() TokenOption { return func(t *tokenSpec) { t.algNone = true } }

// HS256WithAppPassword signs HMAC-SHA256 with the app password, the
// classic algorithm-confusion attempt.
func HS256WithAppPassword() TokenOption { return func(t *tokenSpec) { t.hs256 = true } }

// SignedWith signs with the current key under another RSA algorithm
// (RS512, PS256, …): the right key, an algorithm the Bot Framework never
// uses, which a verifier accepting any algorithm of the key would let by.
func SignedWith(m jwt.SigningMethod) TokenOption { return func(t *tokenSpec) { t.method = m } }

// Skew moves the signer's clock by d (iat, nbf, exp all shift).
func Skew(d time.Duration) TokenOption { return func(t *tokenSpec) { t.skew = d } }

// KeyID signs with this server's key kid (SigningKeyID before a rotation),
// published or not.
func KeyID(kid string) TokenOption { return func(t *tokenSpec) { t.kid = kid } }

// WithoutClaim leaves claim out (e.g. "exp", "serviceurl").
func WithoutClaim(claim string) TokenOption {
	return func(t *tokenSpec) { t.dropClaims = append(t.dropClaims, claim) }
}

// Authorization is the Authorization header the Bot Framework sends with
// act: "Bearer " + an RS256 JWT by the current key with iss, aud (the app
// id), serviceurl (act.ServiceURL), nbf = iat = now and exp an hour later.
func (s *Server) Authorization(act *schema.Activity, opts ...TokenOption) string {
	var spec tokenSpec
	for _, o := range opts {
		o(&spec)
	}
	now := time.Now().Add(spec.skew)
	nbf, exp := now, now.Add(time.Hour)
	if spec.expired {
		nbf, exp = now.Add(-2*time.Hour), now.Add(-time.Hour)
	}
	if spec.early {
		nbf = now.Add(10 * time.Minute)
	}
	claims := jwt.MapClaims{
		"iss":        BotFrameworkIssuer,
		"aud":        s.opts.AppID,
		"serviceurl": act.ServiceURL,
		"nbf":        nbf.Unix(),
		"iat":        now.Unix(),
		"exp":        exp.Unix(),
	}
	if spec.iss != nil {
		claims["iss"] = *spec.iss
	}
	if spec.aud != nil {
		claims["aud"] = *spec.aud
	}
	if spec.svc != nil {
		claims["serviceurl"] = *spec.svc
	}
	for _, c := range spec.dropClaims {
		delete(claims, c)
	}

	s.in.mu.Lock()
	key := s.in.current
	switch {
	case spec.kid != "":
		for _, k := range s.in.keys {
			if k.kid == spec.kid {
				key = k
			}
		}
	case spec.noEndorsement:
		key = s.in.unendorsed
	}
	kid, priv := key.kid, key.priv
	switch {
	case spec.unknownKey:
		kid, priv = "unknown-"+newKID(), s.in.unpublished.priv
	case spec.forged:
		priv = s.in.unpublished.priv
	}
	s.in.mu.Unlock()

	var signed string
	var err error
	switch {
	case spec.algNone:
		t := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
		t.Header["kid"] = kid
		signed, err = t.SignedString(jwt.UnsafeAllowNoneSignatureType)
	case spec.hs256:
		t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
		t.Header["kid"] = kid
		signed, err = t.SignedString([]byte(s.opts.AppPassword))
	default:
		m := spec.method
		if m == nil {
			m = jwt.SigningMethodRS256
		}
		t := jwt.NewWithClaims(m, claims)
		t.Header["kid"] = kid
		t.Header["x5t"] = kid
		signed, err = t.SignedString(priv)
	}
	if err != nil {
		// Errorf, not Fatalf: tests sign from many goroutines.
		s.t.Errorf("teamstest: signing a token: %v", err)
	}
	return "Bearer " + signed
}

func newKID() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func inboundJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}
