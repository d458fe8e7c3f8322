package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/bot/store"
	"github.com/unlockbot/unlockbot/bot/store/redisstore"
)

// cmdCheck tells an operator, org by org, whether the bot can do its job:
// the directory binds, the base DN exists, the bot account holds the rights
// it needs (and no more), the ticket system answers.
func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	defaultLogFormat(cfg, logConsole)
	a, err := buildApp(ctx, cfg, io.Discard)
	if err != nil {
		return err
	}
	defer a.Close()
	failed := 0
	report := func(what string, line string, err error) {
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "✗ %s: %s\n", what, operatorMessage(err))
			return
		}
		fmt.Fprintf(stdout, "✓ %s: %s\n", what, line)
	}
	line, err := checkStore(ctx, a.store)
	report("state store", line, err)
	for _, w := range a.audit.watched {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := w.Check(sctx)
		cancel()
		report("audit "+w.Name(), "can be written", err)
	}
	for _, f := range adapters {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		line, err := f.check(a, sctx)
		cancel()
		report(f.name, line, err)
	}
	for _, o := range a.orgs {
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		lines, err := checkDirectory(c, o.Directory)
		cancel()
		for _, l := range lines {
			fmt.Fprintf(stdout, "  %s directory: %s\n", o.ID, l)
		}
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "✗ %s directory: %s\n", o.ID, operatorMessage(err))
		} else {
			fmt.Fprintf(stdout, "✓ %s directory: ready\n", o.ID)
		}
		if err := o.Tickets.Health(ctx); err != nil {
			failed++
			fmt.Fprintf(stdout, "✗ %s tickets: %s\n", o.ID, operatorMessage(err))
		} else {
			fmt.Fprintf(stdout, "✓ %s tickets: answer\n", o.ID)
		}
		fmt.Fprintf(stdout, "✓ %s generated passwords: %s\n", o.ID, generatorLine(o.Policy))
		c, cancel = context.WithTimeout(ctx, 10*time.Second)
		line, err := checkScreens(c, o.Policy)
		cancel()
		report(o.ID+" typed passwords", line, err)
	}
	if failed > 0 {
		return fmt.Errorf("check: %d problem(s) found", failed)
	}
	return nil
}

// operatorMessage is for the person at the terminal, who may see the chain
// (hosts, DNs) a chat user must not: the safe sentence first, then the cause.
func operatorMessage(err error) string {
	safe := bot.SafeMessage(err)
	if strings.Contains(safe, "Something went wrong") {
		return err.Error()
	}
	return safe + " (" + err.Error() + ")"
}

// generatorLine says what an org's generated passwords are and how strong.
func generatorLine(p bot.Policy) string {
	what := fmt.Sprintf("%d random characters", p.GeneratedLength)
	if p.PassphraseWords > 0 {
		what = fmt.Sprintf("passphrases of %d words", max(p.PassphraseWords, bot.MinPassphraseWords))
	}
	return fmt.Sprintf("%s, %.1f bits", what, bot.Entropy(p))
}

// checkStore writes a marker (the store takes writes) and, on Redis, pings
// every node that holds keys: one cluster master down loses its share.
func checkStore(ctx context.Context, st store.Store) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := st.Mark(ctx, "check", time.Second); err != nil {
		return "", err
	}
	rs, ok := st.(*redisstore.Store)
	if !ok {
		return "embedded in-memory store (one replica only)", nil
	}
	top, err := rs.Topology(ctx)
	return "Redis answers: " + top, err
}
