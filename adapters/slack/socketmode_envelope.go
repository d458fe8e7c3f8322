package slack

// Running one Socket Mode envelope through the HTTP handlers.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/rs/zerolog"
)

// runEnvelope is verified() + the handler for one envelope: it refuses
// other workspaces and replays, runs the HTTP handler for the envelope's
// type and returns the ack payload (the handler's JSON answer, or nil).
// ok=false: do not ack (the replay store failed; as over HTTP, Slack may
// try again).
func (a *Adapter) runEnvelope(ctx context.Context, log zerolog.Logger, f socketFrame) (payload json.RawMessage, ok bool) {
	var (
		h    func(http.ResponseWriter, *http.Request, []byte)
		form url.Values
		e    entry
	)
	switch f.Type {
	case "slash_commands":
		var err error
		if form, err = commandForm(f.Payload); err != nil {
			log.Warn().Msg("unreadable slash command envelope")
			return nil, true
		}
		h, e = a.handleCommand, entryCommand
	case "interactive": // block_actions, view_submission, block_suggestion...
		form = url.Values{"payload": {string(f.Payload)}}
		h, e = a.handleInteraction, entryPayload
	default: // events_api and newer: unlockbot subscribes to none
		log.Debug().Msg("socket mode envelope type not used; acknowledged")
		return nil, true
	}
	if len(f.EnvelopeID) > maxEnvelopeID {
		log.Warn().Msg("socket mode envelope id too long; acknowledged, not run")
		return nil, true
	}
	// The app token authenticates the link, not the workspace: an envelope
	// from another one is answered (its refusal is the ack) and not run.
	refusal := &ackRecorder{header: http.Header{}}
	if !a.served(ctx, refusal, e, form, "socket_mode") {
		return ackPayload(log, refusal.status(), refusal.body.Bytes()), true
	}
	// The id is Slack's delivery id: a retry (retry_attempt > 0) or a
	// replayed frame carries the same one and must not run twice. A retry
	// of an envelope that never got here runs, as it should.
	first, err := a.st.Mark(ctx, "slack:envelope:"+f.EnvelopeID, replayTTL)
	if err != nil {
		log.Error().Err(err).Msg("replay marker store failed; envelope not acknowledged")
		return nil, false
	}
	if !first {
		log.Info().Str("event", "slack.replay_refused").Str("retry_reason", f.RetryReason).Msg("socket mode envelope already handled; acknowledged, not run again")
		return nil, true
	}
	status, body := serveInline(ctx, h, form)
	return ackPayload(log, status, body), true
}

// ackPayload is what of a handler's answer goes into the ack: its JSON
// body, or nothing.
func ackPayload(log zerolog.Logger, status int, body []byte) json.RawMessage {
	body = bytes.TrimSpace(body)
	switch {
	case status != http.StatusOK:
		log.Warn().Int("status", status).Msg("socket mode envelope refused by its handler")
		return nil
	case len(body) == 0:
		return nil
	case !json.Valid(body):
		log.Error().Msg("handler answer is not JSON; acknowledged without it")
		return nil
	}
	return json.RawMessage(body)
}

// commandForm turns a slash_commands payload (a JSON object of the fields
// Slack would have form-posted) back into that form.
func commandForm(raw json.RawMessage) (url.Values, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, errors.New("slash command payload is not an object")
	}
	form := make(url.Values, len(fields))
	for k, v := range fields {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v) // true, 12: form fields are text
		}
		form.Set(k, s)
	}
	return form, nil
}

// serveInline runs an HTTP handler on a synthetic POST of form and returns
// its status and body.
func serveInline(ctx context.Context, h func(http.ResponseWriter, *http.Request, []byte), form url.Values) (int, []byte) {
	body := form.Encode()
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "/slack/socket-mode", strings.NewReader(body))
	if err != nil {
		return http.StatusInternalServerError, nil
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := &ackRecorder{header: http.Header{}}
	h(w, r, []byte(body))
	return w.status(), w.body.Bytes()
}

// ackRecorder is the http.ResponseWriter a handler writes its answer to.
type ackRecorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *ackRecorder) Header() http.Header { return w.header }

// status is the answer's HTTP status (200 when none was written).
func (w *ackRecorder) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

func (w *ackRecorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *ackRecorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.body.Len()+len(p) > maxBody {
		return 0, errors.New("answer too large")
	}
	return w.body.Write(p)
}

// redactURL removes the websocket URL (its query is a one-time ticket) from
// a dial error.
func redactURL(err error, raw string) error {
	safe := "the socket mode URL"
	if u, perr := url.Parse(raw); perr == nil {
		safe = u.Scheme + "://" + u.Host + u.Path
	}
	msg := err.Error()
	if strings.Contains(msg, raw) {
		return errors.New(strings.ReplaceAll(msg, raw, safe))
	}
	if u, perr := url.Parse(raw); perr == nil && u.RawQuery != "" && strings.Contains(msg, u.RawQuery) {
		return errors.New(strings.ReplaceAll(msg, u.RawQuery, "…"))
	}
	return err
}
