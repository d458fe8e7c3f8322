// Command barehandler is the load tool's reference point: the least a Go
// Slack bot can do for /unlock with slack-go alone — verify the signature,
// parse the command, open a fixed modal with views.open — and nothing of
// unlockbot's (no store, no replay marker, no roles, no form building).
// It lives under testdata so `go build ./...` never ships it.
package main

import (
	"io"
	"log"
	"net/http"
	"os"

	"github.com/slack-go/slack"
)

func main() {
	api := slack.New(os.Getenv("SLACK_BOT_TOKEN"), slack.OptionAPIURL(os.Getenv("SLACK_API_URL")))
	secret := os.Getenv("SLACK_SIGNING_SECRET")
	modal := slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  slack.NewTextBlockObject(slack.PlainTextType, "Unlock an account", false, false),
		Close:  slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.PlainTextType, "Hello", false, false), nil, nil)}},
	}
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	http.HandleFunc("POST /slack/commands", func(w http.ResponseWriter, r *http.Request) {
		v, err := slack.NewSecretsVerifier(r.Header, secret)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		r.Body = io.NopCloser(io.TeeReader(r.Body, &v))
		cmd, err := slack.SlashCommandParse(r)
		if err != nil || v.Ensure() != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if _, err := api.OpenViewContext(r.Context(), cmd.TriggerID, modal); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	log.Fatal(http.ListenAndServe(os.Getenv("LISTEN"), nil))
}
