package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/unlockbot/unlockbot/bot"
)

// transcript is the demo's chat platform: it prints every card it is asked
// to post, so a newcomer sees exactly what Slack or Teams would show.
type transcript struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
	last  time.Time
	n     int
}

func newTranscript(w io.Writer) *transcript {
	now := time.Now()
	return &transcript{w: w, start: now, last: now}
}

// line prints one step with the time since the previous step.
func (t *transcript) line(who, what string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	fmt.Fprintf(t.w, "%8.2f ms  %-22s %s\n", float64(now.Sub(t.last).Microseconds())/1000, who, what)
	t.last = now
}

func (t *transcript) card(prefix string, c bot.Card) {
	var b strings.Builder
	b.WriteString(c.Title)
	if c.Text != "" {
		b.WriteString("\n" + indent + c.Text)
	}
	for _, f := range c.Fields {
		fmt.Fprintf(&b, "\n%s  %s: %s", indent, f.Label, f.Value)
	}
	if len(c.Actions) > 0 {
		b.WriteString("\n" + indent)
		for _, a := range c.Actions {
			b.WriteString(" [" + a.Label + "]")
		}
	}
	t.line(prefix, b.String())
}

const indent = "                                   "

func (t *transcript) PostApproval(_ context.Context, ch string, c bot.Card) (bot.MessageRef, error) {
	t.mu.Lock()
	t.n++
	id := fmt.Sprintf("m%d", t.n)
	t.mu.Unlock()
	t.card(ch, c)
	return bot.MessageRef{Channel: ch, ID: id}, nil
}

func (t *transcript) UpdateApproval(_ context.Context, ref bot.MessageRef, c bot.Card) error {
	t.line(ref.Channel, "(approval message updated) "+c.Text)
	return nil
}

func (t *transcript) ReplyInThread(_ context.Context, ref bot.MessageRef, c bot.Card) error {
	t.card(ref.Channel+" ↳ thread", c)
	return nil
}

func (t *transcript) Notify(_ context.Context, to bot.Actor, c bot.Card) error {
	t.card("DM to @"+to.Label(), c)
	return nil
}

func (t *transcript) Whisper(_ context.Context, where string, to bot.Actor, text string) error {
	t.line("only @"+to.Label()+" sees", text)
	return nil
}
