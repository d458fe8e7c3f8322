package slack

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxSkew is how far a request timestamp may be from our clock.
const maxSkew = 5 * time.Minute

var (
	errNoSignature  = errors.New("missing signature headers")
	errBadSignature = errors.New("signature does not match")
	errStale        = errors.New("timestamp outside the 5-minute window")
)

// verifySignature checks Slack's v0 signature: HMAC-SHA256 over
// "v0:{timestamp}:{body}" with the signing secret, compared in constant
// time, and a timestamp within ±5 minutes of now. It runs on the raw body,
// before anything is parsed.
func verifySignature(secret []byte, h http.Header, body []byte, now time.Time) error {
	sig, ts := h.Get("X-Slack-Signature"), h.Get("X-Slack-Request-Timestamp")
	if sig == "" || ts == "" {
		return errNoSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errNoSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return errStale
	}
	got, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return errBadSignature
	}
	gotRaw, err := hex.DecodeString(got)
	if err != nil || len(gotRaw) != sha256.Size {
		return errBadSignature
	}
	if !hmac.Equal(gotRaw, sign(secret, ts, body)) {
		return errBadSignature
	}
	return nil
}

func sign(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("v0:" + ts + ":"))
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the X-Slack-Signature value for body at ts (tests, tools).
func Sign(secret, ts string, body []byte) string {
	return "v0=" + hex.EncodeToString(sign([]byte(secret), ts, body))
}

// verified wraps a handler: read at most 1 MiB, check the signature,
// refuse other workspaces (workspace.go), drop Slack retries and replays,
// then hand over the raw body. A request that fails the signature is
// answered without being parsed.
func (a *Adapter) verified(e entry, next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			a.log.Warn().Str("path", r.URL.Path).Str("remote", r.RemoteAddr).Msg("slack request refused: body too large or unreadable")
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := verifySignature([]byte(a.secret.Reveal()), r.Header, body, a.now()); err != nil {
			a.log.Warn().Str("path", r.URL.Path).Str("remote", r.RemoteAddr).Str("why", err.Error()).
				Str("event", "slack.signature_refused").Msg("slack request refused: bad signature")
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		if !a.served(r.Context(), w, e, form, "http") {
			return
		}
		if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
			// Slack resends when our first answer was late; the first
			// delivery already runs, so this one must not.
			a.log.Info().Str("path", r.URL.Path).Str("retry", n).Str("reason", r.Header.Get("X-Slack-Retry-Reason")).Msg("slack retry acknowledged, not run again")
			w.WriteHeader(http.StatusOK)
			return
		}
		// Hex is case-insensitive: key on the normalised digest, or an
		// upper-cased copy of a captured request would pass as new.
		first, err := a.st.Mark(r.Context(), "slack:sig:"+strings.ToLower(r.Header.Get("X-Slack-Signature")), replayTTL)
		if err != nil {
			a.log.Error().Err(err).Msg("replay marker store failed")
			http.Error(w, "state store unavailable", http.StatusServiceUnavailable)
			return
		}
		if !first {
			a.log.Warn().Str("path", r.URL.Path).Str("remote", r.RemoteAddr).Str("event", "slack.replay_refused").Msg("slack request replayed, not run again")
			w.WriteHeader(http.StatusOK)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next(w, r, body)
	})
}
