// Command teamsbare is the Teams load test's reference point: the least a
// Go Teams bot can do — verify the Bot Framework's JWT (RS256 from the
// JWKS the OpenID metadata names, issuer, audience, lifetime, serviceurl)
// and answer: an invoke with a fixed Adaptive Card, a message by posting
// a fixed card to the connector with a cached client-credentials token.
// Nothing of unlockbot's (no store, no replay marker, no roles, no form
// building). TEAMSBARE_TOKEN_CACHE=1 gives it what unlockbot's verifier
// does with a token it has seen (verify_cache.go in adapters/teams): the
// signature is checked once per exact token text, its lifetime and
// serviceurl at every request, so the two can be compared doing the same
// JWT work. TEAMSBARE_REPLAY_MARK=1 adds the one store round trip any bot
// run on more than one replica makes before it acts on a message: a
// SET NX of the activity's id in Redis (TEAMSBARE_REDIS_URL, under
// TEAMSBARE_PREFIX), a redelivery
// answered 200 and dropped. It lives under testdata so `go build ./...`
// never ships it.
package main

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"
)

var (
	appID  = os.Getenv("TEAMS_APP_ID")
	card   = json.RawMessage(`{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"Unlock an account"}]}`)
	keys   = map[string]*rsa.PublicKey{}
	keysMu sync.RWMutex
)

// marks is the replay marker's Redis (TEAMSBARE_REPLAY_MARK=1), nil without.
var marks *redis.Client

func main() {
	if os.Getenv("TEAMSBARE_REPLAY_MARK") == "1" {
		opt, err := redis.ParseURL(os.Getenv("TEAMSBARE_REDIS_URL"))
		if err != nil {
			log.Fatal(err)
		}
		marks = redis.NewClient(opt)
	}
	if err := loadKeys(os.Getenv("TEAMS_OPENID_METADATA_URL")); err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	http.HandleFunc("POST /api/messages", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 256<<10))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		var act struct {
			Type, ServiceURL string
			Conversation     struct{ ID string }
			ID               string
		}
		if json.Unmarshal(body, &act) != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if err := verify(r.Header.Get("Authorization"), act.ServiceURL); err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if marks != nil && act.Type != "invoke" {
			first, err := marks.SetNX(r.Context(), os.Getenv("TEAMSBARE_PREFIX")+"teamsbare:activity:"+act.Conversation.ID+":"+act.ID, "1", 2*time.Hour).Result()
			if err != nil {
				http.Error(w, "try again", http.StatusServiceUnavailable)
				return
			}
			if !first {
				w.WriteHeader(http.StatusOK)
				return
			}
		}
		if act.Type == "invoke" {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": card})
			return
		}
		if err := reply(act.ServiceURL, act.Conversation.ID, act.ID); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	log.Fatal(http.ListenAndServe(os.Getenv("LISTEN"), nil))
}

// seen holds the claims of tokens whose signature passed, by their text
// (TEAMSBARE_TOKEN_CACHE=1); bounded, started over when full.
var (
	seenOn = os.Getenv("TEAMSBARE_TOKEN_CACHE") == "1"
	seenMu sync.Mutex
	seen   = map[string]jwt.MapClaims{}
)

func verify(authz, serviceURL string) error {
	raw, ok := strings.CutPrefix(authz, "Bearer ")
	if !ok {
		return errors.New("no token")
	}
	if seenOn {
		seenMu.Lock()
		c, hit := seen[raw]
		seenMu.Unlock()
		if hit {
			exp, err := c.GetExpirationTime()
			if err != nil || exp == nil || !time.Now().Before(exp.Add(5*time.Minute)) {
				return errors.New("expired")
			}
			if c["serviceurl"] != serviceURL {
				return errors.New("serviceurl")
			}
			return nil
		}
	}
	tok, err := jwt.Parse(raw, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		keysMu.RLock()
		defer keysMu.RUnlock()
		if k := keys[kid]; k != nil {
			return k, nil
		}
		return nil, errors.New("unknown key")
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer("https://api.botframework.com"), jwt.WithAudience(appID),
		jwt.WithLeeway(5*time.Minute), jwt.WithExpirationRequired())
	if err != nil {
		return err
	}
	c, _ := tok.Claims.(jwt.MapClaims)
	if c["serviceurl"] != serviceURL {
		return errors.New("serviceurl")
	}
	if seenOn {
		seenMu.Lock()
		if len(seen) >= 256 {
			seen = map[string]jwt.MapClaims{}
		}
		seen[raw] = c
		seenMu.Unlock()
	}
	return nil
}

func loadKeys(metadataURL string) error {
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := getJSON(metadataURL, &meta); err != nil {
		return err
	}
	var set struct {
		Keys []struct{ Kid, N, E string }
	}
	if err := getJSON(meta.JWKSURI, &set); err != nil {
		return err
	}
	keysMu.Lock()
	defer keysMu.Unlock()
	for _, k := range set.Keys {
		n, _ := base64.RawURLEncoding.DecodeString(k.N)
		e, _ := base64.RawURLEncoding.DecodeString(k.E)
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return nil
}

func getJSON(u string, v any) error {
	r, err := http.Get(u)
	if err != nil {
		return err
	}
	defer r.Body.Close()
	return json.NewDecoder(r.Body).Decode(v)
}

var (
	tokMu  sync.Mutex
	tok    string
	tokExp time.Time
)

func token() (string, error) {
	tokMu.Lock()
	defer tokMu.Unlock()
	if tok != "" && time.Now().Before(tokExp) {
		return tok, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {os.Getenv("TEAMS_APP_PASSWORD")},
		"scope": {"https://api.botframework.com/.default"}}
	r, err := http.PostForm(os.Getenv("TEAMS_AUTHORITY_URL")+"/"+os.Getenv("TEAMS_TENANT_ID")+"/oauth2/v2.0/token", form)
	if err != nil {
		return "", err
	}
	defer r.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(r.Body).Decode(&out); err != nil || out.AccessToken == "" {
		return "", errors.New("no token")
	}
	tok, tokExp = out.AccessToken, time.Now().Add(time.Duration(out.ExpiresIn-300)*time.Second)
	return tok, nil
}

func reply(serviceURL, conv, id string) error {
	t, err := token()
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]any{"type": "message", "replyToId": id, "attachments": []any{map[string]any{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}}})
	req, _ := http.NewRequest(http.MethodPost, strings.TrimSuffix(serviceURL, "/")+"/v3/conversations/"+url.PathEscape(conv)+"/activities/"+url.PathEscape(id), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+t)
	req.Header.Set("Content-Type", "application/json")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer r.Body.Close()
	_, _ = io.Copy(io.Discard, r.Body)
	if r.StatusCode >= 300 {
		return errors.New(r.Status)
	}
	return nil
}
