package teams

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
)

// Invoke names this adapter answers.
const (
	invokeAction = "adaptiveCard/action"
	invokeSearch = "application/search"
)

// handleActivity is POST /api/messages: read a bounded body, check the
// Bot Framework's token against it, drop replays, then hand the activity
// to its handler (a message's handler starts beside the replay check and
// waits for it before anything but a technician's form: onMessage). A
// request whose token fails is answered 401 and goes no further.
func (a *Adapter) handleActivity(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), inlineTimeout)
	defer cancel()
	tok, err := a.verify.CheckToken(ctx, r.Header.Get("Authorization"))
	if err != nil {
		a.refuse(ctx, w, err, nil)
		return
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, maxBody), r.ContentLength)
	if err != nil {
		a.log.Warn().Str("remote", r.RemoteAddr).Msg("teams activity refused: body too large or unreadable")
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	act, err := parseActivity(body)
	if err != nil {
		a.refuse(ctx, w, &AuthError{Reason: "malformed"}, nil)
		return
	}
	if err := tok.matches(act.ServiceURL, act.ChannelID, act.tenant(), act.Conversation.TenantID); err != nil {
		a.refuse(ctx, w, err, act)
		return
	}
	if act.ID == "" && !readOnly(act) {
		// Teams names every activity; without an id a replay could not be told apart.
		http.Error(w, "activity without an id", http.StatusBadRequest)
		return
	}
	if act.Type == schema.Message && act.Conversation.ConversationType == "personal" {
		// Every message in a personal chat is answered there (the form, or
		// a sentence): the conversation's next slot is asked for now, so
		// its round trip runs beside the replay check and the form's
		// drawing instead of after them.
		a.out.Expect(channelOf(act.Conversation.ID))
	}
	if act.Type == schema.Message {
		// The message's work starts first (onMessage): an unlock's form is
		// drawn and sent while the replay check is on the way.
		seen := &replayCheck{done: make(chan struct{})}
		defer seen.answer(false, nil) // whatever stops this handler, the work waiting on it ends
		a.onMessage(act, seen)
		first, err := a.mark(ctx, w, act)
		if err == nil && first {
			a.remember(ctx, act)
		}
		seen.answer(first, err)
		if err == nil {
			w.WriteHeader(http.StatusOK)
		}
		return
	}
	if !readOnly(act) {
		if first, err := a.mark(ctx, w, act); err != nil || !first {
			if err == nil {
				w.WriteHeader(http.StatusOK)
			}
			return
		}
	}
	a.remember(ctx, act)
	switch {
	case act.Type == schema.Invoke && act.Name == invokeAction:
		writeAnswer(w, a.onAction(ctx, act))
	case act.Type == schema.Invoke && act.Name == invokeSearch:
		writeAnswer(w, a.onSearch(ctx, act))
	case act.Type == schema.Invoke:
		http.Error(w, "unsupported invoke", http.StatusNotImplemented)
	default: // conversationUpdate, installationUpdate, …: remembered above
		w.WriteHeader(http.StatusOK)
	}
}

// mark is the replay check: whether this is the first delivery of act
// (its id in its conversation, kept replayTTL). A store that does not
// answer is answered 503, so Teams sends the activity again.
func (a *Adapter) mark(ctx context.Context, w http.ResponseWriter, act *activity) (bool, error) {
	first, err := a.st.Mark(ctx, "teams:activity:"+act.Conversation.ID+":"+act.ID, replayTTL)
	if err != nil {
		a.log.Warn().Err(err).Msg("replay check failed; activity not handled")
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return false, err
	}
	if !first {
		a.log.Info().Str("activity", act.ID).Msg("activity seen before; dropped")
	}
	return first, nil
}

// replayCheck is a message's replay check as the work started before it
// waits for it: first blocks until the handler has the answer and says
// whether the message is to be handled. A nil check is one passed.
type replayCheck struct {
	once sync.Once
	done chan struct{}
	ok   bool
}

// answer gives the check's outcome; only the first answer counts.
func (c *replayCheck) answer(first bool, err error) {
	c.once.Do(func() {
		c.ok = first && err == nil
		close(c.done)
	})
}

func (c *replayCheck) first() bool {
	if c == nil {
		return true
	}
	<-c.done
	return c.ok
}

// readBody is io.ReadAll of r, which starts at 512 bytes and grows as it
// reads; an activity is about a kilobyte, so it grew and copied three
// times. Here the first buffer holds size bytes, the request's
// Content-Length (and one more, so that the EOF needs no growth), when
// that is known and under maxBody; what is read is the same either way.
func readBody(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 || size >= maxBody {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, size+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// readOnly reports whether act only asks for something to show and
// changes nothing (a type-ahead, a card's refresh): its answer goes to the
// caller alone, so a replay of it gains nothing, and it skips the replay
// marker's store round trip. Teams sends a refresh to every approver each
// time an approval card changes.
func readOnly(act *activity) bool {
	if act.Type != schema.Invoke {
		return false
	}
	if act.Name == invokeSearch {
		return true
	}
	action, _ := act.Value["action"].(map[string]any)
	verb, _ := action["verb"].(string)
	return act.Name == invokeAction && verb == verbRefresh
}

// activity is what the adapter reads of an inbound Bot Framework
// activity. Decoding only these fields, not the SDK's whole schema.Activity
// (timestamps, entities, attachments, channelData as a map), takes a
// third of the time; the names and JSON keys are the schema's.
type activity struct {
	Type         schema.ActivityTypes `json:"type"`
	ID           string               `json:"id"`
	Name         string               `json:"name"`
	ServiceURL   string               `json:"serviceUrl"`
	ChannelID    string               `json:"channelId"`
	From         activityAccount      `json:"from"`
	Conversation activityConversation `json:"conversation"`
	Text         string               `json:"text"`
	ReplyToID    string               `json:"replyToId"`
	ChannelData  struct {
		Tenant *struct {
			ID string `json:"id"`
		} `json:"tenant"`
	} `json:"channelData"`
	Value map[string]any `json:"value"`
}

type activityAccount struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	AadObjectID string `json:"aadObjectId"`
}

type activityConversation struct {
	ID               string `json:"id"`
	ConversationType string `json:"conversationType"`
	TenantID         string `json:"tenantId"`
}

// tenant is channelData.tenant.id, where Teams names the Entra tenant.
func (act *activity) tenant() string {
	if act.ChannelData.Tenant == nil {
		return ""
	}
	return act.ChannelData.Tenant.ID
}

// parseActivity reads an activity. Teams' "value" is an object for the
// invokes handled here; an activity whose value is something else (a
// string on some message kinds) is still read, without it.
func parseActivity(body []byte) (*activity, error) {
	var act activity
	err := json.Unmarshal(body, &act)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field == "value" {
		act.Value, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &act, nil
}

// refuse answers 401 and audits why, at most once per reason and minute
// (bot.Service.RecordRefusal), with nothing from the token itself.
func (a *Adapter) refuse(ctx context.Context, w http.ResponseWriter, err error, act *activity) {
	why := "refused"
	var ae *AuthError
	if errors.As(err, &ae) {
		why = ae.Reason
	}
	detail := map[string]string{}
	if act != nil {
		detail["activity_type"] = cut(string(act.Type), 32)
		detail["channel_id"] = cut(act.ChannelID, 32)
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	audited := a.svc.RecordRefusal(actx, Platform, why, detail)
	cancel()
	if n, ok := a.refusals.allow(a.now()); ok {
		a.log.Warn().Str("event", "teams.token_refused").Str("why", why).Bool("audited", audited).Int("refused_since_last_line", n).
			Msg("activity with a bad Bot Framework token refused")
	}
	http.Error(w, "unauthorized", http.StatusUnauthorized)
}

// remember records who sent a verified activity and from where, so the
// bot can reach them later from any replica.
func (a *Adapter) remember(ctx context.Context, act *activity) {
	if err := a.refs.sawService(ctx, act.ServiceURL); err != nil {
		a.log.Warn().Err(err).Msg("could not record the service URL")
	}
	u := userRef{MRI: act.From.ID, ServiceURL: act.ServiceURL}
	if act.Conversation.ConversationType == "personal" {
		u.Personal = act.Conversation.ID
	}
	if err := a.refs.saw(ctx, act.From.AadObjectID, u); err != nil {
		a.log.Warn().Err(err).Msg("could not record the user's conversation reference")
	}
}

// where is the conversation an activity came from as bot/ names it: the
// channel (a channel conversation's id is the channel's, with the thread
// after ";messageid=") or the personal chat.
func where(act *activity) string { return channelOf(act.Conversation.ID) }

// writeAnswer writes an invoke's answer. A card is written as rendered
// (by json.Marshal, in card.go): encoding/json would scan and compact the
// RawMessage again, a sixth of the handler's own time on a refresh, which
// Teams sends every approver. The envelope around it is written before and
// after it, so the card (kept by the memo, shared) is not copied either.
func writeAnswer(w http.ResponseWriter, r invokeResponse) {
	w.Header().Set("Content-Type", "application/json")
	if card, ok := r.Value.(json.RawMessage); ok {
		head := cardHead
		if r.StatusCode != cardStatus || r.Type != cardType {
			head = envelopeHead(r.StatusCode, r.Type)
		}
		_, _ = w.Write(head)
		_, _ = w.Write(card)
		_, _ = w.Write(closeBrace)
		return
	}
	_ = json.NewEncoder(w).Encode(r)
}

// cardHead is cardAnswer's envelope up to its value, encoded once.
var cardHead = envelopeHead(cardStatus, cardType)

var closeBrace = []byte("}")

// envelopeHead is an invoke answer's envelope as json.Marshal writes it,
// without its closing brace, followed by the value's key.
func envelopeHead(status int, typ string) []byte {
	head, _ := json.Marshal(invokeResponse{StatusCode: status, Type: typ})
	return append(head[:len(head)-1:len(head)-1], `,"value":`...)
}
