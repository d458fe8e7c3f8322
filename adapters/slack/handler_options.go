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
	actor := a.actor(ctx, cb.User.ID, cb.User.Name)
	writeJSON(w, renderOptions(a.svc.Suggest(ctx, actor, orgID, bot.FieldID(cb.ActionID), cb.Value)))
}
