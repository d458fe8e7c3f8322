package slack_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/unlockbot/unlockbot/adapters/adaptertest"
	"github.com/unlockbot/unlockbot/bot"
)

// exchange is one Web API call with Slack's answer. The fake records what
// it received; the answer (the ts of a post, the id of a view) is only
// seen by the client, so the contract driver records it in the transport.
type exchange struct {
	Method    string
	Req, Resp map[string]any
}

// arg is a string argument or answer field ("" when absent).
func arg(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// ok is Slack's verdict on the call.
func (x exchange) ok() bool { b, _ := x.Resp["ok"].(bool); return b }

// wireLog is the adapter's HTTP transport in the contract tests.
type wireLog struct {
	mu sync.Mutex
	ex []exchange
}

func (w *wireLog) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		_ = r.Body.Close()
	}
	out := r.Clone(r.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	ans, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(ans))
	x := exchange{Method: strings.TrimPrefix(r.URL.Path, "/api/"), Req: decodeArgs(r.Header.Get("Content-Type"), body), Resp: map[string]any{}}
	_ = json.Unmarshal(ans, &x.Resp)
	w.mu.Lock()
	w.ex = append(w.ex, x)
	w.mu.Unlock()
	return resp, err
}

func (w *wireLog) all() []exchange {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]exchange(nil), w.ex...)
}

func decodeArgs(ctype string, body []byte) map[string]any {
	out := map[string]any{}
	if strings.HasPrefix(ctype, "application/json") {
		_ = json.Unmarshal(body, &out)
		return out
	}
	v, _ := url.ParseQuery(string(body))
	for k := range v {
		out[k] = v.Get(k)
	}
	return out
}

// Block Kit back into what a person reads.

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }
func list(v any) []any         { l, _ := v.([]any); return l }
func text(v any) string        { s, _ := obj(v)["text"].(string); return s }

var mention = regexp.MustCompile(`<@([A-Z0-9]+)>`)

// reader undoes mrkdwn: a mention of a known user becomes their role.
type reader map[string]adaptertest.User

func (rd reader) human(s string) string {
	s = mention.ReplaceAllStringFunc(s, func(m string) string {
		if role, ok := rd[m[2:len(m)-1]]; ok {
			return string(role)
		}
		return m
	})
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// message reads blocks (or the fallback text of a message without any).
func (rd reader) message(title string, blocks []any, fallback string) adaptertest.Message {
	m := adaptertest.Message{Title: title}
	var lines []string
	for _, b := range blocks {
		b := obj(b)
		switch b["type"] {
		case "header":
			m.Title = rd.human(text(b["text"]))
		case "section":
			if t := text(b["text"]); t != "" {
				lines = append(lines, rd.human(t))
			}
			for _, f := range list(b["fields"]) {
				label, value, _ := strings.Cut(text(f), "\n")
				m.Fields = append(m.Fields, adaptertest.Field{Label: rd.human(strings.Trim(label, "*")), Value: rd.human(value)})
			}
		case "actions":
			for _, el := range list(b["elements"]) {
				el := obj(el)
				if el["type"] == "button" {
					v, _ := el["value"].(string)
					a, _ := el["action_id"].(string)
					m.Buttons = append(m.Buttons, adaptertest.Button{Action: bot.ActionID(a), RequestID: v, Label: rd.human(text(el["text"]))})
				}
			}
		case "context":
			for _, el := range list(b["elements"]) {
				lines = append(lines, rd.human(text(el)))
			}
		}
	}
	if len(blocks) == 0 {
		lines = append(lines, rd.human(fallback))
	}
	m.Text = strings.Join(lines, "\n")
	return m
}

// inputs lists a view's input blocks as form fields.
func inputs(view map[string]any) []adaptertest.Input {
	var out []adaptertest.Input
	for _, b := range list(view["blocks"]) {
		b := obj(b)
		if b["type"] != "input" {
			continue
		}
		id, _ := b["block_id"].(string)
		el := obj(b["element"])
		in := adaptertest.Input{ID: bot.FieldID(id), Label: text(b["label"])}
		switch el["type"] {
		case "static_select", "external_select":
			in.Initial, _ = obj(el["initial_option"])["value"].(string)
		case "plain_text_input":
			in.Initial, _ = el["initial_value"].(string)
		case "checkboxes":
			if len(list(el["initial_options"])) > 0 {
				in.Initial = "true"
			}
		}
		out = append(out, in)
	}
	return out
}

// state is view.state.values as Slack sends it on submission: every input,
// empty ones included, keyed by block id and action id.
func state(view map[string]any, values map[bot.FieldID]string) (map[string]any, []string) {
	left := map[bot.FieldID]string{}
	for k, v := range values {
		left[k] = v
	}
	out := map[string]any{}
	for _, b := range list(view["blocks"]) {
		b := obj(b)
		if b["type"] != "input" {
			continue
		}
		bid, _ := b["block_id"].(string)
		el := obj(b["element"])
		aid, _ := el["action_id"].(string)
		v := left[bot.FieldID(bid)]
		delete(left, bot.FieldID(bid))
		st := map[string]any{"type": el["type"]}
		switch el["type"] {
		case "static_select", "external_select":
			st["selected_option"] = nil
			if v != "" {
				st["selected_option"] = map[string]any{"value": v, "text": map[string]any{"type": "plain_text", "text": v}}
			}
		case "checkboxes":
			sel := []any{}
			if opts := list(el["options"]); v != "" && len(opts) > 0 {
				sel = append(sel, opts[0])
			}
			st["selected_options"] = sel
		default:
			st["value"] = nil
			if v != "" {
				st["value"] = v
			}
		}
		out[bid] = map[string]any{aid: st}
	}
	var unknown []string
	for k := range left {
		unknown = append(unknown, string(k))
	}
	return out, unknown
}
