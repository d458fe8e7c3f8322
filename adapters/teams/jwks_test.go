package teams

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestRSAKeyRefusesWeakOrBrokenKeys(t *testing.T) {
	k2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	k1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	n := b64(k2048.N.Bytes())
	e := b64(big.NewInt(65537).Bytes())
	if pub, err := rsaKey(n, e); err != nil || pub.E != 65537 || pub.N.Cmp(k2048.N) != 0 {
		t.Fatalf("good key: %v", err)
	}
	if _, err := rsaKey(n+"==", e); err != nil {
		t.Fatalf("padded base64url refused: %v", err)
	}
	for name, ne := range map[string][2]string{
		"1024 bits":       {b64(k1024.N.Bytes()), e},
		"even exponent":   {n, b64([]byte{1, 0, 0})},
		"exponent 1":      {n, b64([]byte{1})},
		"huge exponent":   {n, b64([]byte{1, 0, 0, 0, 1})},
		"n not base64":    {"!!", e},
		"empty exponent":  {n, ""},
		"exponent 2^31+1": {n, b64(big.NewInt(1<<31 + 1).Bytes())},
	} {
		if _, err := rsaKey(ne[0], ne[1]); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	// The bounds themselves are valid exponents.
	for _, x := range []int64{3, 1<<31 - 1} {
		if pub, err := rsaKey(n, b64(big.NewInt(x).Bytes())); err != nil || int64(pub.E) != x {
			t.Errorf("exponent %d refused: %v", x, err)
		}
	}
}

// A key document of exactly the size limit is read; one byte more is not.
func TestKeyDocumentSizeLimit(t *testing.T) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	keys := `{"keys":[{"kty":"RSA","use":"sig","kid":"k1","n":"` + b64(k.N.Bytes()) + `","e":"AQAB","endorsements":["msteams"]}]}`
	pad := func(doc string, size int) string { return doc[:len(doc)-1] + strings.Repeat(" ", size-len(doc)) + "}" }
	for size, ok := range map[int]bool{maxKeyDocBytes: true, maxKeyDocBytes + 1: false} {
		srv := keyDocServer(t, func(base string) string { return `{"jwks_uri":"` + base + `/keys"}` }, pad(keys, size))
		v, err := NewVerifier(VerifierConfig{AppID: "a", TenantID: "t", MetadataURL: srv.URL + "/md"})
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Warm(context.Background()); (err == nil) != ok || (!ok && !strings.Contains(err.Error(), "larger than")) {
			t.Errorf("a %d-byte key document: %v", size, err)
		}
	}
}

var testKey, _ = rsa.GenerateKey(rand.Reader, 2048)

// keyDocServer serves metadata whose jwks_uri is its own /keys.
func keyDocServer(t *testing.T, metadata func(base string) string, keys string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/md":
			_, _ = w.Write([]byte(metadata(srv.URL)))
		case "/keys":
			_, _ = w.Write([]byte(keys))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestWarmSaysWhatIsWrongWithTheKeyEndpoint(t *testing.T) {
	good := func(base string) string { return `{"jwks_uri":"` + base + `/keys"}` }
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	cases := map[string]struct {
		url  func(*httptest.Server) string
		srv  *httptest.Server
		want string
	}{
		"too large": {
			srv:  keyDocServer(t, func(string) string { return `{"x":"` + strings.Repeat("a", 2<<20) + `"}` }, ""),
			want: "could not fetch the Bot Framework OpenID metadata from 127.0.0.1",
		},
		"not JSON": {
			srv:  keyDocServer(t, func(string) string { return `<html>` }, ""),
			want: "not the JSON expected",
		},
		"no jwks_uri": {
			srv:  keyDocServer(t, func(string) string { return `{"issuer":"https://api.botframework.com"}` }, ""),
			want: "names no usable jwks_uri",
		},
		"no RSA keys": {
			srv:  keyDocServer(t, good, `{"keys":[{"kty":"EC","kid":"a"},{"kty":"RSA","kid":"b","n":"AQAB","e":"AQAB"}]}`),
			want: "published no usable RSA signing keys",
		},
		"only an encryption key": {
			srv:  keyDocServer(t, good, `{"keys":[{"kty":"RSA","use":"enc","kid":"e1","n":"`+b64(testKey.N.Bytes())+`","e":"AQAB"}]}`),
			want: "published no usable RSA signing keys",
		},
		"keys 404": {
			srv:  keyDocServer(t, func(base string) string { return `{"jwks_uri":"` + base + `/nokeys"}` }, ""),
			want: "could not fetch the Bot Framework signing keys from 127.0.0.1",
		},
		"unreachable": {
			url:  func(*httptest.Server) string { return closed.URL + "/md" },
			want: "could not fetch the Bot Framework OpenID metadata from " + strings.TrimPrefix(closed.URL, "http://") + ": ",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			u := ""
			if c.url != nil {
				u = c.url(c.srv)
			} else {
				u = c.srv.URL + "/md"
			}
			v, err := NewVerifier(VerifierConfig{AppID: "a", TenantID: "t", MetadataURL: u})
			if err != nil {
				t.Fatal(err)
			}
			err = v.Warm(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Warm: %v; want it to say %q", err, c.want)
			}
			if strings.Contains(err.Error(), "/md") {
				t.Fatalf("error names the whole URL rather than the host: %v", err)
			}
		})
	}
}

// A caller whose context ends stops waiting for a slow endpoint; the
// fetch itself is bounded by its own timeout.
func TestVerifyStopsWaitingWhenTheCallerGivesUp(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.Error(w, "slow", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	v, err := NewVerifier(VerifierConfig{AppID: "a", TenantID: "t", MetadataURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = v.keys.refresh(ctx, true)
	if err == nil || !strings.Contains(err.Error(), "gave up waiting") {
		t.Fatalf("refresh: %v", err)
	}
}
