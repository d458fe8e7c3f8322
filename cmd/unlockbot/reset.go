package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/unlockbot/unlockbot/bot"
	"github.com/unlockbot/unlockbot/identity"
)

// cmdReset is the break-glass path: the same shared reset service, from a
// terminal, audited as the named operator. A generated password is printed
// once, to stdout only; everything else goes to stderr.
func cmdReset(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reset", flag.ContinueOnError)
	fs.SetOutput(stderr)
	org := fs.String("org", "", "organization id (required)")
	account := fs.String("account", "", "account name: sAMAccountName or UPN (required)")
	temporary := fs.Bool("temporary", false, "user must change the password at next logon")
	unlockOnly := fs.Bool("unlock-only", false, "only clear the lockout; the password is not changed")
	noLimit := fs.Bool("force-no-limit", false, "run without a shared store (no redis_url), where the per-account daily limit cannot be counted; recorded in the audit trail")
	fromStdin := fs.Bool("password-stdin", false, "read the new password from the first line of stdin (default: generate one)")
	ticket := fs.String("ticket", "", "existing ticket id to note (default: create and resolve one)")
	as := fs.String("as", "", "operator name for the audit trail (required)")
	reason := fs.String("reason", "break-glass reset from the command line", "reason, recorded in the ticket and the audit trail")
	cfg, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	var missing []string
	for name, v := range map[string]string{"--org": *org, "--account": *account, "--as": *as} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("reset: %s required", strings.Join(missing, ", "))
	}
	if *unlockOnly && (*fromStdin || *temporary) {
		return errors.New("reset: --unlock-only keeps the current password; drop --password-stdin and --temporary, or drop --unlock-only")
	}
	var flags []string
	switch {
	case !cfg.usesRedis() && !*noLimit:
		return errors.New("reset: this config has no redis_url, so nothing remembers earlier resets and the per-account daily limit cannot be enforced; " +
			"point the config at the Redis the bot uses, or pass --force-no-limit (recorded in the audit trail)")
	case cfg.usesRedis() && *noLimit:
		return errors.New("reset: --force-no-limit is only for a config without redis_url; with Redis the daily limit is counted and enforced")
	case *noLimit:
		flags = append(flags, "force_no_limit")
	}
	var pw identity.Secret
	if *fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reset: reading the password from stdin: %w", err)
		}
		if pw = identity.NewSecret(strings.TrimRight(line, "\r\n")); pw.IsZero() {
			return errors.New("reset: --password-stdin given but stdin is empty")
		}
	}
	cfg.LogLevel = "error" // the terminal gets one summary line, not the service log
	defaultLogFormat(cfg, logConsole)
	a, err := buildApp(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	defer a.drain() // before Close: the clean-ups need the store
	op := bot.Actor{Platform: "cli", ID: *as, Name: *as}
	mode := bot.ModeReset
	if *unlockOnly {
		mode = bot.ModeUnlock
	}
	r, err := a.svc.BreakGlass(ctx, bot.Submission{
		Requester: op, OrgID: *org, Mode: mode, Account: *account, TicketID: *ticket,
		Password: pw, Temporary: *temporary, Reason: *reason, Flags: flags,
	})
	if err != nil {
		return refusalError(err)
	}
	fmt.Fprintf(stderr, "%s before: %s.\n", r.Account.Label(), r.Account.FactsText())
	mustChange := ""
	if !r.UnlockOnly() {
		mustChange = " Must change at next logon: " + yesNo(r.Temporary) + "."
	}
	fmt.Fprintf(stderr, "%s in %s: %s. Verified in the directory. Ticket %s.%s Request %s.\n",
		r.Account.Label(), *org, r.Outcome(), r.Steps.TicketID, mustChange, r.ID)
	if r.Generated {
		// The password goes to stdout alone, so a script can take it.
		var werr error
		show := func(_ context.Context, c bot.Card) error {
			_, werr = fmt.Fprintln(stdout, c.Secret.Reveal())
			return werr
		}
		err := a.svc.Reveal(ctx, r.ID, op, show)
		if werr != nil {
			return fmt.Errorf("the account was reset but its new password could not be written to stdout (%v); run the reset again", werr)
		}
		if err != nil {
			return refusalError(err)
		}
	}
	return nil
}

func refusalError(err error) error {
	var v *bot.ValidationError
	if errors.As(err, &v) {
		var msgs []string
		for f, m := range v.Fields {
			msgs = append(msgs, string(f)+": "+m)
		}
		return fmt.Errorf("refused: %s", strings.Join(msgs, "; "))
	}
	return fmt.Errorf("not done: %s", bot.SafeMessage(err))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
