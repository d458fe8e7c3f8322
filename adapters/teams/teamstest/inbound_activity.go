package teamstest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
)

// BotName is the bot's display name in the fake Teams; a channel message
// to the bot starts with "<at>"+BotName+"</at>".
const BotName = "unlockbot"

// MessagePath is where the bot receives activities.
const MessagePath = "/api/messages"

// Message is a message activity from u in conv, shaped as Teams sends it.
// In a channel the bot only hears messages that @mention it, so there the
// text is prefixed with "<at>unlockbot</at> " and carries the mention
// entity; a new channel post's conversation id is the channel's id +
// ";messageid=" + the post's own id, as in Teams.
func (s *Server) Message(from User, conv Conversation, text string) *schema.Activity {
	act := s.activity(schema.Message, from, conv)
	act.TextFormat = "plain"
	act.Text = text
	if conv.Type == "channel" {
		act.Text = "<at>" + BotName + "</at> " + text
		s.addEntity(act, map[string]any{
			"type":      "mention",
			"mentioned": map[string]any{"id": "28:" + s.opts.AppID, "name": BotName},
			"text":      "<at>" + BotName + "</at>",
		})
		if !strings.Contains(conv.ID, ";messageid=") {
			act.Conversation.ID = conv.ID + ";messageid=" + act.ID
		}
	}
	s.conn.userMessage(act.Conversation.ID, act.ID)
	return act
}

// MessageInThread is a reply by u, @mentioning the bot, in the thread under
// the channel message rootActivityID.
func (s *Server) MessageInThread(from User, conv Conversation, rootActivityID, text string) *schema.Activity {
	root, _, _ := strings.Cut(conv.ID, ";messageid=")
	conv.ID = root + ";messageid=" + rootActivityID
	act := s.Message(from, conv, text)
	act.ReplyToID = rootActivityID
	return act
}

// Invoke is an invoke activity (name, value) from u in conv, as a card
// action or a type-ahead query sends it. A card action's replyToId is the
// card's activity id; set act.ReplyToID (and a thread conv.ID) to that.
func (s *Server) Invoke(from User, conv Conversation, name string, value map[string]any) *schema.Activity {
	act := s.activity(schema.Invoke, from, conv)
	act.Name = name
	act.Value = value
	return act
}

// activity is what every activity from u in conv carries.
func (s *Server) activity(typ schema.ActivityTypes, from User, conv Conversation) *schema.Activity {
	now := time.Now().UTC()
	s.in.mu.Lock()
	// Teams activity ids are the post time in milliseconds; two in one
	// millisecond get consecutive ids, so they stay unique and ordered.
	s.in.lastActivityID = max(s.in.lastActivityID+1, now.UnixMilli())
	id := strconv.FormatInt(s.in.lastActivityID, 10)
	s.in.mu.Unlock()

	tenant := map[string]any{"id": s.opts.TenantID}
	act := &schema.Activity{
		Type:       typ,
		ID:         id,
		Timestamp:  now,
		ServiceURL: s.ServiceURL(),
		ChannelID:  ChannelTeams,
		From:       schema.ChannelAccount{ID: from.MRI, Name: from.Name, AadObjectID: from.AADObjectID},
		Recipient:  schema.ChannelAccount{ID: "28:" + s.opts.AppID, Name: BotName},
		Conversation: schema.ConversationAccount{
			ID:               conv.ID,
			ConversationType: conv.Type,
			TenantID:         s.opts.TenantID,
		},
		ChannelData: map[string]any{"tenant": tenant},
		Locale:      "en-US",
	}
	if conv.Type == "channel" {
		root, _, _ := strings.Cut(conv.ID, ";messageid=")
		act.Conversation.IsGroup = true
		act.ChannelData["teamsChannelId"] = root
		act.ChannelData["teamsTeamId"] = conv.TeamID
		act.ChannelData["channel"] = map[string]any{"id": root}
		act.ChannelData["team"] = map[string]any{"id": conv.TeamID}
	}
	s.addEntity(act, map[string]any{
		"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web", "timezone": "Europe/Berlin",
	})
	return act
}

// addEntity adds e to act. schema.Entity holds only the type, so the full
// entity is kept by activity id and put on the wire by Deliver.
func (s *Server) addEntity(act *schema.Activity, e map[string]any) {
	act.Entities = append(act.Entities, schema.Entity{Type: e["type"].(string)})
	s.in.mu.Lock()
	defer s.in.mu.Unlock()
	s.in.fullEntities[act.ID] = append(s.in.fullEntities[act.ID], e)
}

// Wire is act's JSON as Teams posts it: the zero times and empty objects
// schema.Activity would marshal are left out, and entities are whole.
func (s *Server) Wire(act *schema.Activity) []byte {
	raw, err := json.Marshal(act)
	if err != nil {
		s.t.Errorf("teamstest: marshalling an activity: %v", err)
		return nil
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	for k, v := range m {
		if k != "value" && k != "channelData" && empty(v) {
			delete(m, k)
		}
	}
	s.in.mu.Lock()
	full := s.in.fullEntities[act.ID]
	s.in.mu.Unlock()
	if full != nil && len(full) == len(act.Entities) {
		m["entities"] = full
	}
	out, _ := json.Marshal(m)
	return out
}

// empty is what omitempty misses: zero time.Time and structs of empties.
func empty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == "" || v == "0001-01-01T00:00:00Z"
	case bool:
		return !v
	case map[string]any:
		for _, x := range v {
			if !empty(x) {
				return false
			}
		}
		return true
	case []any:
		return len(v) == 0
	}
	return false
}

// Deliver signs act and posts it to h's /api/messages in process, as the
// Bot Framework does, and records the bot's answer for the leak scan.
func (s *Server) Deliver(h http.Handler, act *schema.Activity, opts ...TokenOption) (int, []byte) {
	return s.DeliverRaw(h, s.Wire(act), s.Authorization(act, opts...))
}

// DeliverRaw posts body with the given Authorization header (empty: none)
// to h's /api/messages: malformed bodies, replays, hand-made tokens.
func (s *Server) DeliverRaw(h http.Handler, body []byte, authorization string) (int, []byte) {
	r := httptest.NewRequest(http.MethodPost, MessagePath, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Set("User-Agent", "Microsoft-SkypeBotApi (Microsoft-BotFramework/3.0)")
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	answer := w.Body.Bytes()
	if len(answer) > 0 {
		s.record(answer)
	}
	return w.Code, answer
}
