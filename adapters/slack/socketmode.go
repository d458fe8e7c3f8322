package slack

// Socket Mode: Slack pushes the same events it would POST to the three
// request URLs over a websocket the bot opens, and the bot answers each
// envelope with an ack that can carry the HTTP response body.
//
// The client is written here on github.com/gorilla/websocket (already in the
// module graph through slack-go) rather than taken from
// github.com/slack-go/slack/socketmode, because:
//   - the handlers need the payload exactly as Slack sent it: socketmode
//     decodes it into slack-go structs, and re-encoding an
//     InteractionCallback is lossy, so the envelope would no longer be what
//     the HTTP path parses;
//   - every ack here is the answer of the one HTTP handler (views.open
//     before the ack, the response_action body, the options list), which
//     fits a request/answer call better than socketmode's event channel;
//   - we control what is logged (socketmode's debug output includes
//     payloads), the reconnect backoff (bounded, 1 s → 30 s), the liveness
//     checks, and replay protection through the adapter's store;
//   - the wire protocol is four message shapes, and the fake in slacktest
//     speaks it, so every branch is tested end to end.
//
// Envelopes run the existing HTTP handlers (handleCommand,
// handleInteraction) on a synthetic form-encoded request: the business
// logic exists once. Only what verified() does for HTTP is replaced: there
// is no HMAC (TLS and the app token authenticate the link), and replays are
// refused by marking the envelope id in the store.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"

	"github.com/unlockbot/unlockbot/identity"
)

const (
	socketAckBudget   = 3 * time.Second  // Slack's deadline for an ack
	socketWriteWait   = 5 * time.Second  // per ack or control frame
	socketDialTimeout = 10 * time.Second // websocket handshake
	maxEnvelopeID     = 200
)

// socketTuning holds the timings tests shorten.
type socketTuning struct {
	minBackoff, maxBackoff time.Duration
	// idle: a link on which nothing (message, ping or pong) arrived for this
	// long is dead. The client pings every idle/3, so a live link never
	// stays quiet that long.
	idle time.Duration
}

var defaultSocketTuning = socketTuning{minBackoff: time.Second, maxBackoff: 30 * time.Second, idle: 60 * time.Second}

// RunSocketMode receives Slack's events over Socket Mode instead of HTTP and
// runs them through the same handlers as Routes. appToken is the app-level
// token (xapp-…, scope connections:write). It blocks until ctx ends,
// reconnecting with a bounded backoff (1 s doubling to 30 s) when the link
// fails and at once when Slack asks for a refresh; then it lets envelopes
// in progress finish their ack (at most ~3 s) and returns nil. It returns
// an error early only when the app token is refused, which retrying would
// not fix. Work started after an ack (resets) is waited for by Shutdown:
// call it after RunSocketMode has returned.
func (a *Adapter) RunSocketMode(ctx context.Context, appToken identity.Secret) error {
	return a.runSocket(ctx, appToken, defaultSocketTuning)
}

func (a *Adapter) runSocket(ctx context.Context, appToken identity.Secret, tune socketTuning) error {
	const op = "slack socket mode"
	if !strings.HasPrefix(appToken.Reveal(), "xapp-") {
		return fmt.Errorf("%s: SLACK_APP_TOKEN must be an app-level token (xapp-…, scope connections:write)", op)
	}
	// apps.connections.open is a Web API call like any other, with the app
	// token: reuse the client (Authorization header, bounded 429 retries).
	api := &webAPI{base: a.api.base, token: appToken, http: a.api.http, sleep: sleepCtx}
	var drains sync.WaitGroup // old links finishing their in-flight acks
	defer drains.Wait()

	backoff := tune.minBackoff
	for n := 1; ; n++ {
		if ctx.Err() != nil {
			return nil
		}
		log := a.log.With().Str("transport", "socket_mode").Int("link", n).Logger()
		wsURL, err := openConnection(ctx, api)
		var res linkResult
		if err == nil {
			res = a.serveLink(ctx, wsURL, tune, log, &drains)
			err = res.err
		} else if code := errCode(err); fatalAuth[code] {
			log.Error().Str("code", code).Msg("Slack refused the app-level token")
			return fmt.Errorf("%s: apps.connections.open refused the app-level token (%s): check SLACK_APP_TOKEN (xapp-…, scope connections:write): %w", op, code, err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if res.greeted {
			backoff = tune.minBackoff // the link worked: start over
		}
		if res.reason != "" && res.reason != "link_disabled" {
			continue // Slack asked for a new link (refresh_requested, warning): now
		}
		wait := backoff - rand.N(backoff/5+1) // jitter: 80–100 % of the step
		log.Warn().Err(err).Str("reason", res.reason).Dur("retry_in", wait).Msg("socket mode link failed or lost; reconnecting")
		if sleepCtx(ctx, wait) != nil {
			return nil
		}
		backoff = min(2*backoff, tune.maxBackoff)
	}
}

// fatalAuth are apps.connections.open errors that retrying cannot fix.
var fatalAuth = map[string]bool{
	"not_authed": true, "invalid_auth": true, "token_revoked": true, "token_expired": true,
	"account_inactive": true, "missing_scope": true, "not_allowed_token_type": true,
}

// openConnection asks Slack for a websocket URL. The URL carries a one-time
// ticket: it is never logged.
func openConnection(ctx context.Context, api *webAPI) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, socketDialTimeout)
	defer cancel()
	var out struct {
		URL string `json:"url"`
	}
	if err := api.callForm(ctx, "apps.connections.open", url.Values{}, &out); err != nil {
		return "", err
	}
	u, err := url.Parse(out.URL)
	if err != nil || (u.Scheme != "wss" && u.Scheme != "ws") || u.Host == "" {
		return "", errors.New("apps.connections.open answered without a websocket URL")
	}
	return out.URL, nil
}

// linkResult is how one link ended.
type linkResult struct {
	greeted bool   // Slack said hello: the link worked
	reason  string // Slack's disconnect reason, when it asked
	err     error  // why reading stopped, otherwise
}

// socketLink is one websocket connection.
type socketLink struct {
	a    *Adapter
	ws   *websocket.Conn
	log  zerolog.Logger
	idle time.Duration

	wmu sync.Mutex // gorilla allows one concurrent writer (WriteControl aside)

	dmu      sync.Mutex // guards stopping and the read deadline
	stopping bool

	inflight sync.WaitGroup
	acks     atomic.Int64
}

// serveLink dials wsURL and reads envelopes until the link fails, Slack
// sends a disconnect, or ctx ends. Envelopes in progress finish in the
// background (tracked by drains) and the link is closed after them, so a
// refresh does not wait for them.
func (a *Adapter) serveLink(ctx context.Context, wsURL string, tune socketTuning, log zerolog.Logger, drains *sync.WaitGroup) linkResult {
	d := websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: socketDialTimeout}
	ws, resp, err := d.DialContext(ctx, wsURL, nil)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return linkResult{err: redactURL(err, wsURL)}
	}
	l := &socketLink{a: a, ws: ws, log: log, idle: tune.idle}
	ws.SetReadLimit(maxBody)
	l.extend()
	ws.SetPingHandler(func(data string) error {
		l.extend()
		// Errors surface on the next read; a lost pong is not one.
		_ = ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(socketWriteWait))
		return nil
	})
	ws.SetPongHandler(func(string) error { l.extend(); return nil })

	done := make(chan struct{})
	go func() { // ctx ends → unblock the reader; keep the link alive meanwhile
		t := time.NewTicker(tune.idle / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				l.stop()
				return
			case <-t.C:
				_ = ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(socketWriteWait))
			}
		}
	}()
	res := l.read(ctx)
	close(done)
	l.stop()

	drains.Add(1)
	go func() {
		defer drains.Done()
		l.inflight.Wait()
		l.wmu.Lock()
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		l.wmu.Unlock()
		_ = ws.Close()
		l.log.Debug().Int64("acks", l.acks.Load()).Msg("socket mode link closed")
	}()
	return res
}

// extend pushes the read deadline idle into the future, unless the link is
// being stopped.
func (l *socketLink) extend() {
	l.dmu.Lock()
	defer l.dmu.Unlock()
	if !l.stopping {
		_ = l.ws.SetReadDeadline(time.Now().Add(l.idle))
	}
}

// stop makes the blocked read return now.
func (l *socketLink) stop() {
	l.dmu.Lock()
	defer l.dmu.Unlock()
	l.stopping = true
	_ = l.ws.SetReadDeadline(time.Now())
}

// socketFrame is any message Slack sends: hello, disconnect or an envelope.
type socketFrame struct {
	Type           string          `json:"type"`
	EnvelopeID     string          `json:"envelope_id"`
	Payload        json.RawMessage `json:"payload"`
	AcceptsPayload bool            `json:"accepts_response_payload"`
	RetryAttempt   int             `json:"retry_attempt"`
	RetryReason    string          `json:"retry_reason"`
	Reason         string          `json:"reason"`          // disconnect
	NumConnections int             `json:"num_connections"` // hello
}

func (l *socketLink) read(ctx context.Context) linkResult {
	var res linkResult
	for {
		_, data, err := l.ws.ReadMessage()
		if err != nil {
			if ctx.Err() == nil {
				res.err = err
			}
			return res
		}
		l.extend()
		var f socketFrame
		if err := json.Unmarshal(data, &f); err != nil {
			l.log.Warn().Int("bytes", len(data)).Msg("unreadable socket mode frame ignored")
			continue
		}
		switch f.Type {
		case "hello":
			res.greeted = true
			l.log.Info().Int("num_connections", f.NumConnections).Msg("socket mode connected")
		case "disconnect":
			res.reason = f.Reason
			if res.reason == "" {
				res.reason = "unspecified"
			}
			lvl := zerolog.InfoLevel
			if f.Reason == "link_disabled" {
				lvl = zerolog.ErrorLevel // Socket Mode was turned off for the app
			}
			l.log.WithLevel(lvl).Str("reason", res.reason).Msg("Slack closed the socket mode link; reconnecting")
			return res
		default:
			if f.EnvelopeID == "" {
				l.log.Debug().Str("type", f.Type).Msg("socket mode message without an envelope ignored")
				continue
			}
			l.inflight.Add(1)
			go l.handle(ctx, f)
		}
	}
}

// handle runs one envelope and acks it. It has Slack's 3 s, whether or not
// the run ends meanwhile: an envelope that arrived is answered.
func (l *socketLink) handle(ctx context.Context, f socketFrame) {
	defer l.inflight.Done()
	log := l.log.With().Str("envelope", cut(f.EnvelopeID, maxEnvelopeID)).Str("type", f.Type).Int("retry_attempt", f.RetryAttempt).Logger()
	defer func() {
		if p := recover(); p != nil {
			log.Error().Interface("panic", p).Msg("socket mode envelope panicked")
			l.ack(log, f.EnvelopeID, nil)
		}
	}()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), socketAckBudget)
	defer cancel()
	payload, ok := l.a.runEnvelope(ctx, log, f)
	if ok {
		l.ack(log, f.EnvelopeID, payload)
	}
}

func (l *socketLink) ack(log zerolog.Logger, id string, payload json.RawMessage) {
	msg, err := json.Marshal(struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload,omitempty"`
	}{id, payload})
	if err != nil {
		log.Error().Err(err).Msg("socket mode ack not encodable")
		return
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	_ = l.ws.SetWriteDeadline(time.Now().Add(socketWriteWait))
	if err := l.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
		log.Warn().Err(err).Msg("socket mode ack not sent; Slack may resend the envelope")
		return
	}
	l.acks.Add(1)
}
