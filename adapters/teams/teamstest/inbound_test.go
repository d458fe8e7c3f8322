package teamstest

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

var tech = User{MRI: "29:1tech", AADObjectID: "00000000-0000-0000-0000-00000000aaaa", Name: "Tess Tech"}

func getJSON(t *testing.T, s *Server, url string, v any) int {
	t.Helper()
	resp, err := s.Client().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

type publishedKey struct {
	Kid, Kty, Use, N, E, X5t string
	Endorsements             []string
}

// published reads the fake's keys the way a bot does: metadata, then jwks_uri.
func published(t *testing.T, s *Server) map[string]publishedKey {
	t.Helper()
	var md struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if code := getJSON(t, s, s.MetadataURL(), &md); code != 200 {
		t.Fatalf("metadata: HTTP %d", code)
	}
	if md.Issuer != "https://api.botframework.com" || !slices.Equal(md.Algs, []string{"RS256"}) || !strings.HasSuffix(md.JWKSURI, "/openid/v1/.well-known/keys") {
		t.Fatalf("metadata %+v", md)
	}
	var set struct{ Keys []publishedKey }
	if code := getJSON(t, s, md.JWKSURI, &set); code != 200 {
		t.Fatalf("jwks: HTTP %d", code)
	}
	out := map[string]publishedKey{}
	for _, k := range set.Keys {
		out[k.Kid] = k
	}
	return out
}

func (k publishedKey) public(t *testing.T) *rsa.PublicKey {
	n, err1 := base64.RawURLEncoding.DecodeString(k.N)
	e, err2 := base64.RawURLEncoding.DecodeString(k.E)
	if err1 != nil || err2 != nil {
		t.Fatalf("key %s: n or e not base64url", k.Kid)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
}

// check verifies header's token against the published keys; it returns the
// claims and the signing key, or the error.
func check(t *testing.T, s *Server, header string) (jwt.MapClaims, publishedKey, error) {
	t.Helper()
	keys := published(t, s)
	var used publishedKey
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"})).ParseWithClaims(strings.TrimPrefix(header, "Bearer "), claims, func(tok *jwt.Token) (any, error) {
		k, ok := keys[tok.Header["kid"].(string)]
		if !ok {
			return nil, jwt.ErrTokenUnverifiable
		}
		used = k
		return k.public(t), nil
	})
	return claims, used, err
}

func TestTokensVerifyWithThePublishedKey(t *testing.T) {
	s := New(t, Options{})
	s.AddUser(tech)
	act := s.Message(tech, s.Personal(tech), "unlock alice")
	h := s.Authorization(act)
	if !strings.HasPrefix(h, "Bearer ") {
		t.Fatalf("header %q", h)
	}
	claims, key, err := check(t, s, h)
	if err != nil {
		t.Fatal(err)
	}
	if claims["iss"] != "https://api.botframework.com" || claims["aud"] != DefaultAppID || claims["serviceurl"] != s.ServiceURL() {
		t.Fatalf("claims %v", claims)
	}
	if key.Kty != "RSA" || key.Use != "sig" || key.X5t == "" || !slices.Contains(key.Endorsements, "msteams") || key.public(t).N.BitLen() != 2048 {
		t.Fatalf("key %+v", key)
	}
	if key.Kid != s.SigningKeyID() {
		t.Fatalf("signed by %s, SigningKeyID says %s", key.Kid, s.SigningKeyID())
	}

	// The bad tokens are bad in the one way they claim.
	if _, _, err := check(t, s, s.Authorization(act, ForgedSignature())); err == nil {
		t.Error("forged signature verifies")
	}
	if _, _, err := check(t, s, s.Authorization(act, UnknownKey())); err == nil {
		t.Error("unknown key is published")
	}
	_, k, err := check(t, s, s.Authorization(act, NoEndorsement()))
	if err != nil || slices.Contains(k.Endorsements, "msteams") {
		t.Errorf("NoEndorsement: err %v, endorsements %v", err, k.Endorsements)
	}
	for name, opt := range map[string]TokenOption{"none": AlgNone(), "HS256": HS256WithAppPassword()} {
		tok, _, _ := jwt.NewParser().ParseUnverified(strings.TrimPrefix(s.Authorization(act, opt), "Bearer "), jwt.MapClaims{})
		if tok.Method.Alg() != name {
			t.Errorf("alg %s, want %s", tok.Method.Alg(), name)
		}
	}
}

func TestRotationAndOutage(t *testing.T) {
	s := New(t, Options{})
	s.AddUser(tech)
	act := s.Message(tech, s.Personal(tech), "x")
	first := s.SigningKeyID()

	s.RotateKeys(true)
	keys := published(t, s)
	second := s.SigningKeyID()
	if second == first {
		t.Fatal("rotation kept the kid")
	}
	if _, ok := keys[first]; !ok {
		t.Fatal("keepOld dropped the old key")
	}
	if _, k, err := check(t, s, s.Authorization(act)); err != nil || k.Kid != second {
		t.Fatalf("after rotation: signed by %s (%v), want %s", k.Kid, err, second)
	}

	s.RotateKeys(false)
	keys = published(t, s)
	if _, ok := keys[first]; ok {
		t.Fatal("withdrawn key still published")
	}
	if _, ok := keys[second]; ok {
		t.Fatal("withdrawn key still published")
	}
	if _, _, err := check(t, s, s.Authorization(act, KeyID(first))); err == nil {
		t.Fatal("token by a withdrawn key verifies")
	}
	if _, _, err := check(t, s, s.Authorization(act, NoEndorsement())); err != nil {
		t.Fatalf("the unendorsed key went with the rotation: %v", err)
	}

	m, j := s.MetadataFetches(), s.JWKSFetches()
	s.SetMetadataDown(true)
	for _, u := range []string{s.MetadataURL(), strings.Replace(s.MetadataURL(), "openidconfiguration", "keys", 1)} {
		resp, err := s.Client().Get(u)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("%s while down: HTTP %d", u, resp.StatusCode)
		}
	}
	if s.MetadataFetches() != m+1 || s.JWKSFetches() != j+1 {
		t.Fatalf("fetches while down not counted: %d/%d → %d/%d", m, j, s.MetadataFetches(), s.JWKSFetches())
	}
	s.SetMetadataDown(false)
	published(t, s)
}

func TestActivitiesAreShapedLikeTeams(t *testing.T) {
	s := New(t, Options{})
	s.AddUser(tech)
	ch := s.AddChannel("19:helpdesk@thread.tacv2", "19:general@thread.tacv2")

	var wire map[string]any
	act := s.Message(tech, ch, "unlock alice")
	if err := json.Unmarshal(s.Wire(act), &wire); err != nil {
		t.Fatal(err)
	}
	if act.Text != "<at>unlockbot</at> unlock alice" || act.Conversation.ID != ch.ID+";messageid="+act.ID || !act.Conversation.IsGroup {
		t.Fatalf("channel message %+v", act)
	}
	cd := wire["channelData"].(map[string]any)
	if cd["teamsChannelId"] != ch.ID || cd["teamsTeamId"] != ch.TeamID || cd["tenant"].(map[string]any)["id"] != DefaultTenantID {
		t.Fatalf("channelData %v", cd)
	}
	var mention map[string]any
	for _, e := range wire["entities"].([]any) {
		if e := e.(map[string]any); e["type"] == "mention" {
			mention = e
		}
	}
	if mention == nil || mention["mentioned"].(map[string]any)["id"] != "28:"+DefaultAppID || mention["text"] != "<at>unlockbot</at>" {
		t.Fatalf("mention entity %v in %v", mention, wire["entities"])
	}
	for _, k := range []string{"localTimestamp", "expiration", "relatesTo", "suggestedActions", "semanticAction"} {
		if _, ok := wire[k]; ok {
			t.Errorf("wire carries %s, which Teams does not send: %v", k, wire[k])
		}
	}
	if wire["from"].(map[string]any)["aadObjectId"] != tech.AADObjectID || wire["recipient"].(map[string]any)["id"] != "28:"+DefaultAppID {
		t.Fatalf("from/recipient %v %v", wire["from"], wire["recipient"])
	}

	reply := s.MessageInThread(tech, ch, act.ID, "status")
	if reply.Conversation.ID != act.Conversation.ID || reply.ChannelData["teamsChannelId"] != ch.ID {
		t.Fatalf("thread reply in %s (channel %v)", reply.Conversation.ID, reply.ChannelData["teamsChannelId"])
	}
	dm := s.Message(tech, s.Personal(tech), "unlock alice")
	if dm.Text != "unlock alice" || dm.Conversation.IsGroup || dm.Conversation.ConversationType != "personal" || len(dm.ChannelData) != 1 {
		t.Fatalf("personal message %+v", dm)
	}
	inv := s.Invoke(tech, ch, "adaptiveCard/action", map[string]any{"action": map[string]any{"verb": "approve"}})
	if inv.Type != "invoke" || inv.Name != "adaptiveCard/action" || inv.Value["action"] == nil {
		t.Fatalf("invoke %+v", inv)
	}
	ids := map[string]bool{}
	for i := 0; i < 100; i++ {
		ids[s.Message(tech, ch, "x").ID] = true
	}
	if len(ids) != 100 {
		t.Fatalf("%d distinct ids of 100", len(ids))
	}
}

func TestDeliverPostsSignedAndRecordsTheAnswer(t *testing.T) {
	s := New(t, Options{})
	s.AddUser(tech)
	act := s.Message(tech, s.Personal(tech), "unlock alice")
	var gotAuth, gotPath, gotBody string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotPath = r.Header.Get("Authorization"), r.Method+" "+r.URL.Path
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"statusCode":200}`))
	})
	code, body := s.Deliver(h, act, Audience("someone-else"))
	if code != 200 || string(body) != `{"statusCode":200}` || gotPath != "POST /api/messages" {
		t.Fatalf("code %d body %s path %s", code, body, gotPath)
	}
	claims, _, err := check(t, s, gotAuth)
	if err != nil || claims["aud"] != "someone-else" {
		t.Fatalf("delivered token: %v %v", claims, err)
	}
	if !strings.Contains(gotBody, `"text":"unlock alice"`) {
		t.Fatalf("delivered body %s", gotBody)
	}
	if b := s.Bodies(); len(b) != 1 || b[0] != `{"statusCode":200}` {
		t.Fatalf("recorded %q", b)
	}
	if code, _ := s.DeliverRaw(h, []byte("{"), ""); code != 200 || gotAuth != "" || gotBody != "{" {
		t.Fatalf("raw delivery: %d %q %q", code, gotAuth, gotBody)
	}
}
