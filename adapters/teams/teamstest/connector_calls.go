package teamstest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// adaptiveCardType is the only attachment type the fake accepts: the bot
// sends nothing else, so anything else is a bug to surface.
const adaptiveCardType = "application/vnd.microsoft.card.adaptive"

// inActivity is the part of an activity the fake reads.
type inActivity struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	ReplyToID   string `json:"replyToId"`
	Text        string `json:"text"`
	Summary     string `json:"summary"`
	Attachments []struct {
		ContentType string          `json:"contentType"`
		Content     json.RawMessage `json:"content"`
	} `json:"attachments"`
}

func (a inActivity) card() json.RawMessage {
	for _, at := range a.Attachments {
		if at.ContentType == adaptiveCardType {
			return append(json.RawMessage(nil), at.Content...)
		}
	}
	return nil
}

// parseActivity checks an activity the way Teams does; a non-empty
// reason is the BadArgument message.
func (c *connector) parseActivity(raw []byte) (inActivity, string) {
	var a inActivity
	if len(bytes.TrimSpace(raw)) == 0 || raw[0] != '{' {
		return a, "The activity must be a JSON object."
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, "Malformed activity JSON: " + err.Error()
	}
	switch a.Type {
	case "":
		return a, "The activity type is missing."
	case "message", "typing":
	default:
		return a, "Unknown activity type: '" + a.Type + "'."
	}
	if a.Type == "message" && strings.TrimSpace(a.Text) == "" && len(a.Attachments) == 0 {
		return a, "A message activity must have text or attachments."
	}
	for i, at := range a.Attachments {
		if at.ContentType != adaptiveCardType {
			return a, fmt.Sprintf("attachments[%d]: unsupported contentType '%s' (the bot sends Adaptive Cards only).", i, at.ContentType)
		}
		if c := bytes.TrimSpace(at.Content); len(c) == 0 || c[0] != '{' {
			return a, fmt.Sprintf("attachments[%d]: an Adaptive Card's content must be a JSON object.", i)
		}
		if c.s.opts.UnvalidatedCards {
			continue
		}
		if err := ValidateCard(at.Content); err != nil {
			return a, fmt.Sprintf("attachments[%d]: invalid Adaptive Card: %v", i, err)
		}
	}
	return a, ""
}

type idRef struct {
	ID string `json:"id"`
}

type createBody struct {
	IsGroup     bool    `json:"isGroup"`
	Bot         *idRef  `json:"bot"`
	Members     []idRef `json:"members"`
	ChannelData struct {
		Channel *idRef `json:"channel"`
		Tenant  *idRef `json:"tenant"`
	} `json:"channelData"`
	Activity json.RawMessage `json:"activity"`
	TenantID string          `json:"tenantId"`
}

// create is POST v3/conversations: a channel thread (isGroup, channelData
// .channel, activity) or the personal chat with one known user.
func (c *connector) create(w http.ResponseWriter, r *http.Request) {
	raw, ok := c.begin(w, r, CallCreate)
	if !ok {
		return
	}
	var b createBody
	if err := json.Unmarshal(raw, &b); err != nil {
		bfError(w, http.StatusBadRequest, "BadArgument", "Malformed conversation parameters: "+err.Error())
		return
	}
	opts := c.s.Options()
	switch {
	case b.TenantID == "":
		bfError(w, http.StatusBadRequest, "BadArgument", "tenantId is required to create a conversation in Teams.")
		return
	case b.TenantID != opts.TenantID || (b.ChannelData.Tenant != nil && b.ChannelData.Tenant.ID != opts.TenantID):
		bfError(w, http.StatusForbidden, "Forbidden", "The bot is not installed in tenant '"+b.TenantID+"'.")
		return
	case b.Bot != nil && b.Bot.ID != "28:"+opts.AppID:
		bfError(w, http.StatusBadRequest, "BadArgument", "bot.id '"+b.Bot.ID+"' is not this bot (28:<app id>).")
		return
	}
	if b.IsGroup {
		c.createThread(w, b)
		return
	}
	c.createPersonal(w, b)
}

func (c *connector) createThread(w http.ResponseWriter, b createBody) {
	if b.ChannelData.Channel == nil || b.ChannelData.Channel.ID == "" {
		bfError(w, http.StatusBadRequest, "BadArgument", "channelData.channel.id is required for a group conversation (bots cannot create group chats).")
		return
	}
	if len(b.Members) > 0 {
		bfError(w, http.StatusBadRequest, "BadArgument", "Bots cannot create group chats with members.")
		return
	}
	if len(b.Activity) == 0 || string(b.Activity) == "null" {
		bfError(w, http.StatusBadRequest, "BadArgument", "activity is required to start a thread in a channel.")
		return
	}
	ch := b.ChannelData.Channel.ID
	conv, root, ok := c.s.conversation(ch)
	if !ok || conv.Type != "channel" || root != ch {
		bfError(w, http.StatusNotFound, "ConversationNotFound", "Conversation not found.")
		return
	}
	in, why := c.parseActivity(b.Activity)
	if why != "" || in.Type != "message" {
		bfError(w, http.StatusBadRequest, "BadArgument", cmp.Or(why, "A thread starts with a message activity."))
		return
	}
	a := c.post(in, true, root, "", "", "")
	jsonAnswer(w, http.StatusCreated, map[string]string{"id": a.ConversationID, "activityId": a.ID})
}

func (c *connector) createPersonal(w http.ResponseWriter, b createBody) {
	if len(b.Members) != 1 || b.Members[0].ID == "" {
		bfError(w, http.StatusBadRequest, "BadArgument", "A one-on-one conversation needs exactly one member.")
		return
	}
	u, ok := c.s.UserByID(b.Members[0].ID)
	if !ok {
		bfError(w, http.StatusNotFound, "NotFound", "User not found.")
		return
	}
	conv, root, ok := c.s.conversation("a:personal-" + u.AADObjectID)
	if !ok {
		bfError(w, http.StatusForbidden, "Forbidden", "The bot is not installed for this user.")
		return
	}
	out := map[string]string{"id": conv.ID}
	if len(b.Activity) > 0 && string(b.Activity) != "null" {
		in, why := c.parseActivity(b.Activity)
		if why != "" {
			bfError(w, http.StatusBadRequest, "BadArgument", why)
			return
		}
		if in.Type == "message" {
			out["activityId"] = c.post(in, false, root, "", conv.ID, "").ID
		}
	}
	jsonAnswer(w, http.StatusCreated, out)
}

// target resolves the {conv} of a request: the root conversation and, for
// a thread id, the thread (which must exist).
func (c *connector) target(w http.ResponseWriter, convID string) (conv Conversation, root, thread string, ok bool) {
	conv, root, ok = c.s.conversation(convID)
	if ok {
		_, thread, _ = strings.Cut(convID, ";messageid=")
		if thread != "" && (conv.Type != "channel" || c.find(root, thread, thread) == nil) {
			ok = false
		}
	}
	if !ok {
		bfError(w, http.StatusNotFound, "ConversationNotFound", "Conversation not found.")
	}
	return conv, root, thread, ok
}

// send is POST v3/conversations/{conv}/activities: a new post in a
// personal chat, a reply in a thread, or a new thread in a channel.
func (c *connector) send(w http.ResponseWriter, r *http.Request) {
	raw, ok := c.begin(w, r, CallSend)
	if !ok {
		return
	}
	convID := r.PathValue("conv")
	conv, root, thread, ok := c.target(w, convID)
	if !ok {
		return
	}
	in, why := c.parseActivity(raw)
	if why != "" {
		bfError(w, http.StatusBadRequest, "BadArgument", why)
		return
	}
	if in.Type != "message" {
		jsonAnswer(w, http.StatusOK, map[string]string{})
		return
	}
	replyTo, at := in.ReplyToID, convID
	if conv.Type == "channel" && thread != "" {
		replyTo, at = cmp.Or(replyTo, thread), root+";messageid="+thread
	}
	a := c.post(in, conv.Type == "channel", root, thread, at, replyTo)
	jsonAnswer(w, http.StatusCreated, map[string]string{"id": a.ID})
}

// existing reads a request about activity {id} of conversation {conv}
// (a reply to it, its update): the body, the conversation and the
// activity, or the Bot Framework's answer when either is unknown.
func (c *connector) existing(w http.ResponseWriter, r *http.Request, kind, doing string) (raw []byte, conv Conversation, root, id string, a *activity, ok bool) {
	if raw, ok = c.begin(w, r, kind); !ok {
		return
	}
	var thread string
	if conv, root, thread, ok = c.target(w, r.PathValue("conv")); !ok {
		return
	}
	id = r.PathValue("id")
	if a = c.find(root, thread, id); a == nil {
		bfError(w, http.StatusNotFound, "ActivityNotFoundInConversation", "The activity to "+doing+" was not found in the conversation.")
		return raw, conv, root, id, nil, false
	}
	return raw, conv, root, id, a, true
}

// own is existing for a call only the activity's poster may make (an
// update, a delete): a person's message is Teams' 403.
func (c *connector) own(w http.ResponseWriter, r *http.Request, kind, doing string) (raw []byte, root, id string, a *activity, ok bool) {
	raw, _, root, id, a, ok = c.existing(w, r, kind, doing)
	if ok && a.byUser {
		bfError(w, http.StatusForbidden, "Forbidden", "The bot can only "+doing+" activities it sent.")
		return raw, root, id, a, false
	}
	return raw, root, id, a, ok
}

// reply is POST v3/conversations/{conv}/activities/{id}: a reply to a
// message that exists, in its thread.
func (c *connector) reply(w http.ResponseWriter, r *http.Request) {
	raw, conv, root, id, to, ok := c.existing(w, r, CallReply, "reply to")
	if !ok {
		return
	}
	in, why := c.parseActivity(raw)
	if why == "" && in.ReplyToID != "" && in.ReplyToID != id {
		why = "replyToId '" + in.ReplyToID + "' differs from the activity id in the URL."
	}
	if why != "" {
		bfError(w, http.StatusBadRequest, "BadArgument", why)
		return
	}
	if in.Type != "message" {
		jsonAnswer(w, http.StatusOK, map[string]string{})
		return
	}
	at := conv.ID
	if conv.Type == "channel" {
		at = root + ";messageid=" + to.thread
	}
	a := c.post(in, conv.Type == "channel", root, to.thread, at, id)
	jsonAnswer(w, http.StatusCreated, map[string]string{"id": a.ID})
}

// update is PUT v3/conversations/{conv}/activities/{id}: replaces a
// message the bot posted.
func (c *connector) update(w http.ResponseWriter, r *http.Request) {
	raw, _, id, a, ok := c.own(w, r, CallUpdate, "update")
	if !ok {
		return
	}
	in, why := c.parseActivity(raw)
	switch {
	case why != "":
	case in.Type != "message":
		why = "Only message activities can be updated."
	case in.ID != "" && in.ID != id:
		why = "The activity id '" + in.ID + "' differs from the id in the URL."
	}
	if why != "" {
		bfError(w, http.StatusBadRequest, "BadArgument", why)
		return
	}
	c.mu.Lock()
	a.Text, a.Summary, a.Card = in.Text, in.Summary, in.card()
	a.Versions++
	c.mu.Unlock()
	jsonAnswer(w, http.StatusOK, map[string]string{"id": id})
}

// remove is DELETE v3/conversations/{conv}/activities/{id}: the bot takes
// back a message it posted, which then is gone from the conversation (a
// later update or reply to it is a 404, as for any unknown activity).
func (c *connector) remove(w http.ResponseWriter, r *http.Request) {
	_, root, id, a, ok := c.own(w, r, CallDelete, "delete")
	if !ok {
		return
	}
	c.mu.Lock()
	delete(c.byKey, root+"\x00"+id)
	c.acts = slices.DeleteFunc(c.acts, func(x *activity) bool { return x == a })
	if c.deleted == nil {
		c.deleted = map[string][]string{}
	}
	c.deleted[root] = append(c.deleted[root], id)
	c.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// member is GET v3/conversations/{conv}/members/{user}, by MRI, Entra
// object id or UPN (Teams takes all three; the address is compared
// without case, as Entra does). Like Teams it answers a
// TeamsChannelAccount: email and userPrincipalName when the profile has
// them, absent when not; someone not in the conversation is a 404
// MemberNotFoundInConversation.
func (c *connector) member(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.begin(w, r, CallMember); !ok {
		return
	}
	conv, _, _, ok := c.target(w, r.PathValue("conv"))
	if !ok {
		return
	}
	id := r.PathValue("user")
	for _, u := range conv.Members {
		if u.MRI == id || u.AADObjectID == id || (u.UPN != "" && strings.EqualFold(u.UPN, id)) {
			out := map[string]string{
				"id": u.MRI, "name": u.Name, "aadObjectId": u.AADObjectID,
				"userRole": "user", "tenantId": c.s.Options().TenantID,
			}
			if u.Email != "" {
				out["email"] = u.Email
			}
			if u.UPN != "" {
				out["userPrincipalName"] = u.UPN
			}
			jsonAnswer(w, http.StatusOK, out)
			return
		}
	}
	bfError(w, http.StatusNotFound, "MemberNotFoundInConversation", "The member was not found in the conversation.")
}
