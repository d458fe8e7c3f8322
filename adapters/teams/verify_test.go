package teams

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/unlockbot/unlockbot/adapters/teams/teamstest"
)

// clock is a settable Now for the verifier.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type verifyEnv struct {
	fake    *teamstest.Server
	v       *Verifier
	clock   *clock
	tech    teamstest.User
	channel teamstest.Conversation
}

func newVerifyEnv(t *testing.T) *verifyEnv {
	t.Helper()
	fake := teamstest.New(t, teamstest.Options{})
	e := &verifyEnv{
		fake:  fake,
		clock: &clock{t: time.Now()},
		tech:  teamstest.User{MRI: "29:1tech", AADObjectID: "00000000-0000-0000-0000-00000000aaaa", Name: "Tess Tech"},
	}
	fake.AddUser(e.tech)
	e.channel = fake.AddChannel("19:helpdesk@thread.tacv2", "19:general@thread.tacv2")
	v, err := NewVerifier(VerifierConfig{
		AppID: fake.Options().AppID, TenantID: fake.Options().TenantID,
		MetadataURL: fake.MetadataURL(), HTTPClient: fake.Client(), Now: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.v = v
	return e
}

func (e *verifyEnv) msg() *schema.Activity {
	return e.fake.Message(e.tech, e.fake.Personal(e.tech), "unlock alice")
}

// verify signs act with opts and verifies it.
func (e *verifyEnv) verify(act *schema.Activity, opts ...teamstest.TokenOption) error {
	return e.v.Verify(context.Background(), e.fake.Authorization(act, opts...), act)
}

func reasonOf(err error) string {
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae.Reason
	}
	if err != nil {
		return "not an AuthError: " + err.Error()
	}
	return ""
}

func TestVerifyAcceptsWhatTeamsSends(t *testing.T) {
	e := newVerifyEnv(t)
	acts := map[string]*schema.Activity{
		"personal message": e.msg(),
		"channel message":  e.fake.Message(e.tech, e.channel, "unlock alice"),
		"thread reply":     e.fake.MessageInThread(e.tech, e.channel, "1700000000000", "status"),
		"invoke":           e.fake.Invoke(e.tech, e.channel, "adaptiveCard/action", map[string]any{"action": map[string]any{"verb": "approve"}}),
	}
	for name, act := range acts {
		if err := e.verify(act); err != nil {
			t.Errorf("%s refused: %v", name, err)
		}
	}
	// The claim and the activity may differ by a trailing slash only.
	act := e.msg()
	if err := e.verify(act, teamstest.ServiceURLClaim(strings.TrimSuffix(act.ServiceURL, "/"))); err != nil {
		t.Errorf("serviceurl without the trailing slash refused: %v", err)
	}
	// Clocks up to 5 minutes apart are tolerated.
	for _, d := range []time.Duration{4 * time.Minute, -4 * time.Minute} {
		if err := e.verify(e.msg(), teamstest.Skew(d)); err != nil {
			t.Errorf("signer clock off by %v refused: %v", d, err)
		}
	}
}

func TestVerifyRefusals(t *testing.T) {
	e := newVerifyEnv(t)
	otherTenant := func(a *schema.Activity) {
		a.ChannelData["tenant"] = map[string]any{"id": "11111111-2222-3333-4444-555555555555"}
	}
	cases := []struct {
		name   string
		opts   []teamstest.TokenOption
		change func(*schema.Activity)                      // after signing
		header func(h string, act *schema.Activity) string // changes the signed header
		want   string
	}{
		{name: "forged signature", opts: []teamstest.TokenOption{teamstest.ForgedSignature()}, want: "bad_signature"},
		{name: "unknown kid", opts: []teamstest.TokenOption{teamstest.UnknownKey()}, want: "unknown_key"},
		{name: "expired", opts: []teamstest.TokenOption{teamstest.Expired()}, want: "expired"},
		{name: "not yet valid", opts: []teamstest.TokenOption{teamstest.NotYetValid()}, want: "not_yet_valid"},
		{name: "clock 6 min ahead", opts: []teamstest.TokenOption{teamstest.Skew(6 * time.Minute)}, want: "not_yet_valid"},
		{name: "wrong audience", opts: []teamstest.TokenOption{teamstest.Audience("another-bot")}, want: "audience"},
		{name: "wrong issuer", opts: []teamstest.TokenOption{teamstest.Issuer("https://sts.windows.net/x/")}, want: "issuer"},
		{name: "no exp", opts: []teamstest.TokenOption{teamstest.WithoutClaim("exp")}, want: "missing_claim"},
		{name: "wrong serviceurl", opts: []teamstest.TokenOption{teamstest.ServiceURLClaim("https://evil.example/connector/")}, want: "service_url"},
		{name: "serviceurl on a longer path", opts: []teamstest.TokenOption{teamstest.ServiceURLClaim(e.fake.ServiceURL() + "x/")}, want: "service_url"},
		{name: "empty serviceurl claim", opts: []teamstest.TokenOption{teamstest.ServiceURLClaim("")}, want: "service_url"},
		{name: "no serviceurl claim", opts: []teamstest.TokenOption{teamstest.WithoutClaim("serviceurl")}, want: "service_url"},
		{name: "activity moved to another serviceUrl", change: func(a *schema.Activity) { a.ServiceURL = "https://evil.example/" }, want: "service_url"},
		{name: "other tenant", change: otherTenant, want: "tenant"},
		{name: "no tenant", change: func(a *schema.Activity) { delete(a.ChannelData, "tenant") }, want: "tenant"},
		{name: "conversation of another tenant", change: func(a *schema.Activity) { a.Conversation.TenantID = "other" }, want: "tenant"},
		{name: "key without msteams endorsement", opts: []teamstest.TokenOption{teamstest.NoEndorsement()}, want: "endorsement"},
		{name: "another channel", change: func(a *schema.Activity) { a.ChannelID = "skype" }, want: "channel"},
		{name: "alg none", opts: []teamstest.TokenOption{teamstest.AlgNone()}, want: "algorithm"},
		{name: "HS256 with the app password", opts: []teamstest.TokenOption{teamstest.HS256WithAppPassword()}, want: "algorithm"},
		{name: "no header", header: func(string, *schema.Activity) string { return "" }, want: "no_token"},
		{name: "basic auth", header: func(h string, _ *schema.Activity) string { return "Basic " + strings.TrimPrefix(h, "Bearer ") }, want: "no_token"},
		{name: "empty bearer", header: func(string, *schema.Activity) string { return "Bearer  " }, want: "no_token"},
		{name: "two segments", header: func(h string, _ *schema.Activity) string { return h[:strings.LastIndex(h, ".")] }, want: "malformed"},
		{name: "huge", header: func(h string, _ *schema.Activity) string { return h + strings.Repeat("A", 20<<10) }, want: "malformed"},
		{name: "claims swapped after signing", header: func(h string, act *schema.Activity) string {
			p := strings.Split(h, ".")
			p[1] = strings.Split(e.fake.Authorization(act, teamstest.Skew(time.Hour)), ".")[1]
			return strings.Join(p, ".")
		}, want: "bad_signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			act := e.msg()
			h := e.fake.Authorization(act, c.opts...)
			if c.change != nil {
				c.change(act)
			}
			sent := h
			if c.header != nil {
				sent = c.header(h, act)
			}
			err := e.v.Verify(context.Background(), sent, act)
			if got := reasonOf(err); got != c.want {
				t.Fatalf("reason %q, want %q (%v)", got, c.want, err)
			}
			tok := strings.TrimPrefix(h, "Bearer ")
			for _, part := range strings.Split(tok, ".") {
				if len(part) > 8 && strings.Contains(err.Error(), part) {
					t.Fatalf("error text holds part of the token: %v", err)
				}
			}
		})
	}
}

func TestVerifyFollowsKeyRotation(t *testing.T) {
	e := newVerifyEnv(t)
	if err := e.verify(e.msg()); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.JWKSFetches(); n != 1 {
		t.Fatalf("%d JWKS fetches for the first token, want 1", n)
	}
	oldKid := e.fake.SigningKeyID()
	for i := 0; i < 5; i++ { // known key: no more fetches
		if err := e.verify(e.msg()); err != nil {
			t.Fatal(err)
		}
	}

	// A new key with the old one kept: the new kid is fetched once, both verify.
	e.fake.RotateKeys(true)
	e.clock.Add(time.Minute)
	if err := e.verify(e.msg()); err != nil {
		t.Fatalf("token by the new key refused: %v", err)
	}
	if err := e.verify(e.msg(), teamstest.KeyID(oldKid)); err != nil {
		t.Fatalf("token by the kept old key refused: %v", err)
	}
	if m, j := e.fake.MetadataFetches(), e.fake.JWKSFetches(); m != 2 || j != 2 {
		t.Fatalf("fetches: metadata %d, JWKS %d; want 2 and 2 (one refresh for the new kid)", m, j)
	}

	// The old key withdrawn: it still verifies until the next refresh
	// (the cache cannot know), and is refused after it.
	midKid := e.fake.SigningKeyID()
	e.fake.RotateKeys(false)
	e.clock.Add(time.Minute)
	if err := e.verify(e.msg()); err != nil { // new kid → refresh
		t.Fatalf("token by the newest key refused: %v", err)
	}
	for _, kid := range []string{oldKid, midKid} {
		if got := reasonOf(e.verify(e.msg(), teamstest.KeyID(kid))); got != "unknown_key" {
			t.Fatalf("withdrawn key: reason %q, want unknown_key", got)
		}
	}
	if j := e.fake.JWKSFetches(); j != 3 {
		t.Fatalf("%d JWKS fetches, want 3", j)
	}
}

// Tokens with made-up kids cost the endpoint at most one refresh a minute.
func TestVerifyUnknownKidFloodIsRateLimited(t *testing.T) {
	e := newVerifyEnv(t)
	if err := e.verify(e.msg()); err != nil {
		t.Fatal(err)
	}
	flood := func() {
		for i := 0; i < 50; i++ {
			if got := reasonOf(e.verify(e.msg(), teamstest.UnknownKey())); got != "unknown_key" {
				t.Fatalf("reason %q, want unknown_key", got)
			}
		}
	}
	flood()
	if j := e.fake.JWKSFetches(); j != 1 {
		t.Fatalf("%d JWKS fetches within the first minute, want 1 (the first load)", j)
	}
	e.clock.Add(59 * time.Second)
	flood()
	if j := e.fake.JWKSFetches(); j != 1 {
		t.Fatalf("%d JWKS fetches after 59 s, want still 1", j)
	}
	e.clock.Add(time.Second)
	flood()
	if j := e.fake.JWKSFetches(); j != 2 {
		t.Fatalf("%d JWKS fetches after a minute, want 2", j)
	}
	e.clock.Add(10 * time.Minute)
	flood()
	if m, j := e.fake.MetadataFetches(), e.fake.JWKSFetches(); m != 3 || j != 3 {
		t.Fatalf("fetches: metadata %d, JWKS %d; want 3 and 3", m, j)
	}
}

// Concurrent callers that all need the new key share one refresh.
func TestVerifyConcurrentCallersShareOneRefresh(t *testing.T) {
	e := newVerifyEnv(t)
	if err := e.v.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.fake.RotateKeys(true)
	e.clock.Add(2 * time.Minute)
	type signed struct {
		h   string
		act *schema.Activity
	}
	var reqs []signed
	for i := 0; i < 64; i++ {
		act := e.msg()
		opts := []teamstest.TokenOption{}
		if i%4 == 3 {
			opts = append(opts, teamstest.UnknownKey())
		}
		reqs = append(reqs, signed{e.fake.Authorization(act, opts...), act})
	}
	var wg sync.WaitGroup
	errs := make([]error, len(reqs))
	start := make(chan struct{})
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = e.v.Verify(context.Background(), r.h, r.act)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		want := ""
		if i%4 == 3 {
			want = "unknown_key"
		}
		if got := reasonOf(err); got != want {
			t.Fatalf("request %d: reason %q, want %q (%v)", i, got, want, err)
		}
	}
	if j := e.fake.JWKSFetches(); j != 2 {
		t.Fatalf("%d JWKS fetches, want 2 (warm-up + one shared refresh)", j)
	}
}

func TestVerifyKeysUnavailable(t *testing.T) {
	e := newVerifyEnv(t)
	e.fake.SetMetadataDown(true)
	err := e.verify(e.msg())
	if got := reasonOf(err); got != "keys_unavailable" {
		t.Fatalf("reason %q, want keys_unavailable (%v)", got, err)
	}
	if !strings.Contains(err.Error(), "could not fetch the Bot Framework OpenID metadata from 127.0.0.1") ||
		!strings.Contains(err.Error(), "503") {
		t.Fatalf("error does not say what failed: %v", err)
	}
	werr := e.v.Warm(context.Background())
	if werr == nil || !strings.Contains(werr.Error(), "503") {
		t.Fatalf("Warm with the endpoint down: %v", werr)
	}

	// Back up: within the minute the failure is remembered, not retried.
	e.fake.SetMetadataDown(false)
	before := e.fake.MetadataFetches()
	if got := reasonOf(e.verify(e.msg())); got != "keys_unavailable" {
		t.Fatalf("reason %q within the minute, want keys_unavailable", got)
	}
	if n := e.fake.MetadataFetches(); n != before {
		t.Fatalf("%d metadata fetches within the minute, want none", n-before)
	}
	e.clock.Add(time.Minute)
	if err := e.verify(e.msg()); err != nil {
		t.Fatalf("endpoint back and a minute later: %v", err)
	}

	// Loaded keys outlive an outage: known kids keep verifying.
	e.fake.SetMetadataDown(true)
	e.clock.Add(time.Hour)
	if err := e.verify(e.msg()); err != nil {
		t.Fatalf("known key refused during an outage: %v", err)
	}
}

// Keys a day old are refreshed in the background of the next call, which
// is answered from the cache meanwhile.
func TestVerifyRefreshesOldKeysInBackground(t *testing.T) {
	e := newVerifyEnv(t)
	if err := e.verify(e.msg()); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(25 * time.Hour)
	skew := teamstest.Skew(25 * time.Hour)
	if err := e.verify(e.msg(), skew); err != nil {
		t.Fatal(err)
	}
	e.v.keys.bg.Wait()
	if j := e.fake.JWKSFetches(); j != 2 {
		t.Fatalf("%d JWKS fetches, want 2 (the periodic refresh)", j)
	}
	if err := e.verify(e.msg(), skew); err != nil {
		t.Fatal(err)
	}
	e.v.keys.bg.Wait()
	if j := e.fake.JWKSFetches(); j != 2 {
		t.Fatalf("%d JWKS fetches, want 2: fresh keys are not refreshed again", j)
	}
}

func TestNewVerifierNeedsIdentity(t *testing.T) {
	for _, cfg := range []VerifierConfig{{TenantID: "t"}, {AppID: "a"}, {AppID: "a", TenantID: "t", MetadataURL: "file:///etc/passwd"}} {
		if _, err := NewVerifier(cfg); err == nil {
			t.Errorf("NewVerifier(%+v) accepted", cfg)
		}
	}
}

// BenchmarkVerify is the cost of one inbound token check with warm keys
// (the budget of the speed comparison): the same token each time,
// as the Bot Framework sends it, so checked in full once.
func BenchmarkVerify(b *testing.B) { benchmarkVerify(b, true) }

// BenchmarkVerifyInFull is the same without the verified-token cache:
// what a token's first activity costs.
func BenchmarkVerifyInFull(b *testing.B) { benchmarkVerify(b, false) }

func benchmarkVerify(b *testing.B, remember bool) {
	fake := teamstest.New(b, teamstest.Options{})
	u := teamstest.User{MRI: "29:1tech", AADObjectID: "00000000-0000-0000-0000-00000000aaaa", Name: "Tess Tech"}
	fake.AddUser(u)
	v, err := NewVerifier(VerifierConfig{
		AppID: fake.Options().AppID, TenantID: fake.Options().TenantID,
		MetadataURL: fake.MetadataURL(), HTTPClient: fake.Client(),
	})
	if err != nil {
		b.Fatal(err)
	}
	if !remember {
		v.verified = nil
	}
	act := fake.Message(u, fake.Personal(u), "unlock alice")
	h := fake.Authorization(act)
	ctx := context.Background()
	if err := v.Verify(ctx, h, act); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := v.Verify(ctx, h, act); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// Keys the endpoint has not confirmed for three days are not trusted: a
// key the Bot Framework withdrew must not keep working while its endpoint
// cannot be reached. When the endpoint answers again, tokens pass again.
func TestVerifyRefusesKeysNotRefreshedForThreeDays(t *testing.T) {
	e := newVerifyEnv(t)
	if err := e.verify(e.msg()); err != nil {
		t.Fatal(err)
	}
	e.fake.SetMetadataDown(true)
	e.clock.Add(71 * time.Hour)
	if err := e.verify(e.msg(), teamstest.Skew(71*time.Hour)); err != nil {
		t.Fatalf("keys 71 h old, endpoint down: %v (they still serve)", err)
	}
	e.v.keys.bg.Wait()
	e.clock.Add(2 * time.Hour)
	if got := reasonOf(e.verify(e.msg(), teamstest.Skew(73*time.Hour))); got != "keys_unavailable" {
		t.Fatalf("keys 73 h old, endpoint down: %q, want keys_unavailable", got)
	}
	e.v.keys.bg.Wait()
	e.fake.SetMetadataDown(false)
	e.clock.Add(time.Minute)
	if err := e.verify(e.msg(), teamstest.Skew(73*time.Hour+time.Minute)); err != nil {
		t.Fatalf("endpoint back: %v", err)
	}
}

// The signing keys decide who may talk to the bot: they come over https,
// or plain http from a loopback address (the tests' fake) only.
func TestNewVerifierRefusesPlainHTTPMetadata(t *testing.T) {
	for _, u := range []string{"http://login.botframework.com/v1/.well-known/openidconfiguration", "ftp://x/y", "https://user:pw@login.botframework.com/x"} {
		if _, err := NewVerifier(VerifierConfig{AppID: "a", TenantID: "t", MetadataURL: u}); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	if _, err := NewVerifier(VerifierConfig{AppID: "a", TenantID: "t", MetadataURL: "http://127.0.0.1:9/x"}); err != nil {
		t.Errorf("loopback refused: %v", err)
	}
}

// The age limits hold at their exact instants: keys exactly 24 h old are
// refreshed, keys exactly 72 h old (the endpoint down) are refused.
func TestVerifyKeyAgeLimitsAreInclusive(t *testing.T) {
	e := newVerifyEnv(t)
	if err := e.verify(e.msg()); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(keysMaxAge)
	if err := e.verify(e.msg(), teamstest.Skew(keysMaxAge)); err != nil {
		t.Fatal(err)
	}
	e.v.keys.bg.Wait()
	if j := e.fake.JWKSFetches(); j != 2 {
		t.Fatalf("keys exactly %s old: %d JWKS fetches, want 2", keysMaxAge, j)
	}
	e.fake.SetMetadataDown(true)
	e.clock.Add(keysHardMaxAge)
	if got := reasonOf(e.verify(e.msg(), teamstest.Skew(keysMaxAge+keysHardMaxAge))); got != "keys_unavailable" {
		t.Fatalf("keys exactly %s old, endpoint down: %q", keysHardMaxAge, got)
	}
}
