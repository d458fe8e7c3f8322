package teams

import (
	"context"
	"sync"
	"time"
)

// verifiedTokens remembers the tokens whose signature passed, keyed by the
// token's exact text, until their exp. The Bot Framework keeps its token
// and sends the same one with every activity until it nears expiry, so all
// but the first activity of that hour skip the parse and the RSA check,
// which were most of a card refresh's own cost.
//
// Only what the token's bytes decide once and for all is remembered: that
// they parse, that their algorithm is RS256 and that the key named by
// their kid signed them. Everything that depends on the moment is checked
// again at each use: the key cache must still hold that very key under
// that kid (a withdrawn key, or keys past their age limits, are a miss),
// and the claims pass the same validator again (issuer, audience, exp and
// nbf with the same leeway). A token that fails any of it is forgotten
// and goes through the whole check, so every refusal is the whole check's
// own. Nothing refused is remembered.
type verifiedTokens struct {
	mu sync.Mutex
	m  map[string]verifiedToken
}

type verifiedToken struct {
	tok *Token // shared by every use; never changed after the check
	kid string
	exp time.Time
}

// maxVerifiedTokens bounds the cache: the Bot Framework has a handful of
// tokens alive at once. When it is full, expired entries go first; if
// none has expired, it starts over.
const maxVerifiedTokens = 256

// get returns the entry for raw if it has not reached its exp; an entry
// that has is dropped.
func (c *verifiedTokens) get(raw string, now time.Time) (verifiedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[raw]
	if ok && !now.Before(e.exp) {
		delete(c.m, raw)
		return verifiedToken{}, false
	}
	return e, ok
}

// put remembers a token that passed the whole check, unless it is past
// its exp already (the leeway accepts it a while longer; it is then
// checked in full each time).
func (c *verifiedTokens) put(raw string, e verifiedToken, now time.Time) {
	if !now.Before(e.exp) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxVerifiedTokens {
		for k, old := range c.m {
			if !now.Before(old.exp) {
				delete(c.m, k)
			}
		}
	}
	if c.m == nil || len(c.m) >= maxVerifiedTokens {
		c.m = make(map[string]verifiedToken)
	}
	c.m[raw] = e
}

func (c *verifiedTokens) drop(raw string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, raw)
}

// reuse is the remembered check of raw, if it still holds now: see
// verifiedTokens. nil means the whole check must run.
func (v *Verifier) reuse(ctx context.Context, raw string) *Token {
	e, ok := v.verified.get(raw, v.now())
	if !ok {
		return nil
	}
	k, err := v.keys.key(ctx, e.kid)
	if err != nil || k != e.tok.key || v.validator.Validate(&e.tok.claims) != nil {
		v.verified.drop(raw)
		return nil
	}
	return e.tok
}
