package slack

import (
	"context"
	"net/http"

	"github.com/slack-go/slack"

	"github.com/unlockbot/unlockbot/bot"
)

// handleOptions answers the type-ahead fields (block_suggestion) for the
// organization currently selected in the modal.
func (a *Adapter) handleOptions(w http.ResponseWriter, r *http.Request, _ []byte) {
	cb, err := parseInteraction(r)
	if err != nil || cb.Type != slack.InteractionTypeBlockSuggestion {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	a.suggest(w, r, cb)
}

func (a *Adapter) suggest(w http.ResponseWriter, r *http.Request, cb *slack.InteractionCallback) {
	ctx, cancel := context.WithTimeout(r.Context(), inlineTimeout)
	defer cancel()
	orgID := ""
	if cb.View.State != nil {
		orgID = cb.View.State.Values[string(bot.FieldOrg)][string(bot.FieldOrg)].SelectedOption.Value
	}
	if orgID == "" {
		writeJSON(w, renderOptions([]bot.Option{{Value: pickOrgFirst, Label: "Pick the organization first"}}))
		return
	}
	actor := a.actor(ctx, cb.User.ID, cb.User.Name)
	var (
		opts []bot.Option
		err  error
	)
	switch bot.FieldID(cb.ActionID) {
	case bot.FieldAccount:
		opts, err = a.svc.AccountOptions(ctx, actor, orgID, cb.Value)
	case bot.FieldTicket:
		opts, err = a.svc.TicketOptions(ctx, actor, orgID, cb.Value)
	}
	if err != nil {
		// An empty list; the reason goes to the log (Slack shows no text
		// for a failed type-ahead).
		a.log.Warn().Err(err).Str("actor", actor.Key()).Str("org", orgID).Str("field", cb.ActionID).Msg("type-ahead failed")
		opts = nil
	}
	writeJSON(w, renderOptions(opts))
}
