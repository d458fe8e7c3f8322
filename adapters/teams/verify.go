package teams

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/rs/zerolog"
)

// DefaultMetadataURL is the Bot Framework's OpenID metadata for tokens it
// signs for bots; its jwks_uri names the signing keys.
const DefaultMetadataURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"

// Facts of the tokens the Bot Framework signs for a Teams bot.
const (
	botFrameworkIssuer = "https://api.botframework.com"
	teamsChannelID     = "msteams"
	maxClockSkew       = 5 * time.Minute
	// A Bot Framework token is about 1.5 KiB; a header many times that is
	// refused before anything is decoded.
	maxAuthorizationBytes = 16 << 10
)

// VerifierConfig configures inbound token checks.
type VerifierConfig struct {
	AppID, TenantID string
	MetadataURL     string // default DefaultMetadataURL (TEAMS_OPENID_METADATA_URL for tests)
	HTTPClient      *http.Client
	Now             func() time.Time // default time.Now; tests move the clock
	Log             zerolog.Logger
}

// Verifier checks the Bot Framework's token on each inbound activity. It
// is safe for concurrent use; the signing keys are cached (jwks.go).
type Verifier struct {
	appID, tenantID string
	keys            *keyCache
	parser          *jwt.Parser
	// validator is the parser's claim checks alone (the same options),
	// run again each time a remembered token is used (verify_cache.go).
	validator *jwt.Validator
	verified  *verifiedTokens // nil: every token is checked in full
	now       func() time.Time
}

// AuthError is why a request was refused. Reason is short and stable (for
// the audit record and tests) and never holds the token:
//
//	no_token, malformed, algorithm, unknown_key, bad_signature, expired,
//	not_yet_valid, issuer, audience, missing_claim, service_url, channel,
//	endorsement, tenant, keys_unavailable
//
// keys_unavailable carries the fetch error (Unwrap) for the log.
type AuthError struct {
	Reason string
	err    error
}

func (e *AuthError) Error() string {
	if e.err != nil {
		return "teams: token refused: " + e.Reason + ": " + e.err.Error()
	}
	return "teams: token refused: " + e.Reason
}

func (e *AuthError) Unwrap() error { return e.err }

// NewVerifier checks the config; it fetches nothing (see Warm).
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.AppID == "" {
		return nil, errors.New("teams: the Teams app id (TEAMS_APP_ID) is required to check inbound tokens")
	}
	if cfg.TenantID == "" {
		return nil, errors.New("teams: the Entra tenant id (TEAMS_TENANT_ID) is required to check inbound activities")
	}
	if cfg.MetadataURL == "" {
		cfg.MetadataURL = DefaultMetadataURL
	}
	if u, err := url.Parse(cfg.MetadataURL); err != nil || !secureOrLoopback(u) || u.User != nil {
		return nil, fmt.Errorf("teams: the OpenID metadata URL %q must be https (the signing keys it names decide who may talk to the bot); plain http only to a loopback address, for tests", cfg.MetadataURL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: fetchTimeout}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	claims := []jwt.ParserOption{
		jwt.WithIssuer(botFrameworkIssuer),
		jwt.WithAudience(cfg.AppID),
		jwt.WithLeeway(maxClockSkew),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(cfg.Now),
	}
	return &Verifier{
		appID:     cfg.AppID,
		tenantID:  cfg.TenantID,
		keys:      newKeyCache(cfg.MetadataURL, cfg.HTTPClient, cfg.Now, cfg.Log),
		parser:    jwt.NewParser(append(claims, jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}))...),
		validator: jwt.NewValidator(claims...),
		verified:  &verifiedTokens{},
		now:       cfg.Now,
	}, nil
}

// Warm fetches the metadata and keys now, whatever the cache holds: at
// start-up, so the first activity does not wait, and from `unlockbot
// check`, whose admin wants to know whether the endpoint answers.
func (v *Verifier) Warm(ctx context.Context) error {
	if err := v.keys.refresh(ctx, true); err != nil {
		return fmt.Errorf("teams: %w", err)
	}
	return nil
}

// botClaims are the claims of a Bot Framework token we check.
type botClaims struct {
	jwt.RegisteredClaims
	ServiceURL string `json:"serviceurl"`
}

// Verify checks the Authorization header sent with act: CheckToken, then
// Matches. Every refusal is an *AuthError.
func (v *Verifier) Verify(ctx context.Context, authorization string, act *schema.Activity) error {
	tok, err := v.CheckToken(ctx, authorization)
	if err != nil {
		return err
	}
	return tok.Matches(act)
}

// Token is a Bot Framework token whose signature, algorithm, issuer,
// audience and lifetime have been checked; the activity it came with is
// not read until then.
type Token struct {
	claims   botClaims
	key      *signingKey
	tenantID string
}

// CheckToken checks the Authorization header alone: the token's
// signature (a key of the Bot Framework's JWKS), RS256, issuer, audience
// and lifetime. The request's body is read only after it passes. A token
// that passed before is not parsed and its signature not checked again
// (verify_cache.go); the rest is. The Token returned may be shared: it is
// read, never changed.
func (v *Verifier) CheckToken(ctx context.Context, authorization string) (*Token, error) {
	raw, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		return nil, &AuthError{Reason: "no_token"}
	}
	if len(raw) > maxAuthorizationBytes {
		return nil, &AuthError{Reason: "malformed"}
	}
	if v.verified != nil {
		if t := v.reuse(ctx, raw); t != nil {
			return t, nil
		}
	}
	t := &Token{tenantID: v.tenantID}
	var kid string
	tok, err := v.parser.ParseWithClaims(raw, &t.claims, func(jt *jwt.Token) (any, error) {
		kid, _ = jt.Header["kid"].(string)
		if kid == "" {
			return nil, &AuthError{Reason: "unknown_key"}
		}
		k, err := v.keys.key(ctx, kid)
		if err != nil {
			return nil, err
		}
		t.key = k
		return k.pub, nil
	})
	if err != nil {
		return nil, tokenError(tok, err)
	}
	if v.verified != nil && t.claims.ExpiresAt != nil { // exp is required: never nil here
		v.verified.put(raw, verifiedToken{tok: t, kid: kid, exp: t.claims.ExpiresAt.Time}, v.now())
	}
	return t, nil
}

// Matches compares a checked token's claims with its activity: the
// serviceurl claim with the activity's service URL, the signing key's
// endorsement with its channel, and the tenant with ours.
func (t *Token) Matches(act *schema.Activity) error {
	if act == nil {
		return &AuthError{Reason: "malformed"}
	}
	return t.matches(act.ServiceURL, act.ChannelID, tenantOf(act), act.Conversation.TenantID)
}

// matches is Matches on the activity's fields: the handler reads only
// those (activity.go). convTenant is conversation.tenantId, which may be
// absent; tenant is channelData.tenant.id, which may not.
func (t *Token) matches(serviceURL, channelID, tenant, convTenant string) error {
	if t.claims.ServiceURL == "" || serviceURL == "" ||
		strings.TrimSuffix(t.claims.ServiceURL, "/") != strings.TrimSuffix(serviceURL, "/") {
		return &AuthError{Reason: "service_url"}
	}
	if channelID != teamsChannelID {
		return &AuthError{Reason: "channel"}
	}
	if !t.key.endorses(channelID) {
		return &AuthError{Reason: "endorsement"}
	}
	if !strings.EqualFold(tenant, t.tenantID) || (convTenant != "" && !strings.EqualFold(convTenant, t.tenantID)) {
		return &AuthError{Reason: "tenant"}
	}
	return nil
}

// tenantOf is channelData.tenant.id, where Teams names the Entra tenant.
func tenantOf(act *schema.Activity) string {
	t, _ := act.ChannelData["tenant"].(map[string]any)
	id, _ := t["id"].(string)
	return id
}

// tokenError turns the parser's error into a reason. The key func's own
// refusals (unknown key, keys unavailable) come back as *AuthError; an alg
// other than RS256 (none, HS256, …) is refused by WithValidMethods before
// any key is looked at; the rest map from the library's sentinel errors,
// lifetime before issuer and audience.
func tokenError(tok *jwt.Token, err error) error {
	var ae *AuthError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, jwt.ErrTokenMalformed):
		return &AuthError{Reason: "malformed"}
	case tok == nil || tok.Method == nil || tok.Method.Alg() != jwt.SigningMethodRS256.Alg():
		return &AuthError{Reason: "algorithm"}
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return &AuthError{Reason: "bad_signature"}
	case errors.Is(err, jwt.ErrTokenExpired):
		return &AuthError{Reason: "expired"}
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return &AuthError{Reason: "not_yet_valid"}
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return &AuthError{Reason: "issuer"}
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return &AuthError{Reason: "audience"}
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return &AuthError{Reason: "missing_claim"} // exp, iss or aud absent
	default:
		return &AuthError{Reason: "malformed"}
	}
}
