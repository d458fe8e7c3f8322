package slack

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/slack-go/slack"

	"github.com/unlockbot/unlockbot/bot"
)

// handleCommand answers /unlock [account]: it opens the request modal. The
// trigger id is valid for 3 s, so views.open happens before the ack.
// /lock (admins' intentional locks) is answered by bot in one sentence.
func (a *Adapter) handleCommand(w http.ResponseWriter, r *http.Request, _ []byte) {
	cmd, err := slack.SlashCommandParse(r)
	if err != nil || cmd.UserID == "" {
		http.Error(w, "bad command payload", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), inlineTimeout)
	defer cancel()
	log := a.log.With().Str("actor", a.key(cmd.UserID)).Str("command", cmd.Command).Str("channel", cmd.ChannelID).Logger()

	actor := a.actor(ctx, cmd.UserID, cmd.UserName)
	if cmd.Command == "/lock" {
		writeEphemeral(w, a.svc.LockCommand(ctx, actor, cmd.ChannelID, cmd.Text))
		return
	}
	if reply, ok := a.svc.SelfService(ctx, actor, cmd.ChannelID, cmd.Text); ok {
		writeEphemeral(w, reply)
		return
	}
	form, err := a.svc.NewForm(ctx, actor, cmd.ChannelID, cmd.Text)
	if err != nil {
		log.Info().Str("why", safe(err)).Msg("unlock command refused")
		writeEphemeral(w, safe(err))
		return
	}
	ref, err := a.openViewRef(ctx, cmd.TriggerID, renderForm(form, cmd.ChannelID, nil))
	if err != nil {
		log.Warn().Err(err).Msg("views.open failed")
		writeEphemeral(w, safe(err))
		return
	}
	w.WriteHeader(http.StatusOK)
	// "/unlock alice": show alice's facts as if she had been picked, after
	// the modal is open, off the path Slack is waiting on.
	if org, acct := form.Prefilled(); org != "" && acct != "" {
		change := bot.FormReply{Form: form.ID, Actor: actor, Where: cmd.ChannelID, Values: bot.FormValues{bot.FieldOrg: org, bot.FieldAccount: acct}}
		a.svc.Detach(func(ctx context.Context) { a.showFacts(ctx, change, bot.FieldAccount, ref, &form) })
	}
}

// writeEphemeral answers a slash command with a message only its user sees.
func writeEphemeral(w http.ResponseWriter, text string) {
	writeJSON(w, map[string]string{"response_type": "ephemeral", "text": text})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
