// Command unlockbot is the chat bot and its operator tools.
//
//	unlockbot demo                      the whole flow in-process, no setup
//	unlockbot serve --config F          run the bot
//	unlockbot check --config F          test each org's directory connection and rights
//	unlockbot reset --config F ...      break-glass reset from a terminal
//	unlockbot audit verify|show ...     check the audit trail, or read it as a table
//	unlockbot teams-package --app-id G  the Teams app package an admin uploads
//	unlockbot version                   what this binary was built from
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: unlockbot <command> [flags]

commands:
  demo     run the whole flow in-process on the embedded default (no config, no servers)
  serve    run the bot (--config F or UNLOCKBOT_CONFIG)
  check    check each organization's directory: bind, base DN, rights (--config F)
  reset    break-glass reset from a terminal, audited (--config F --org ID --account NAME --as OPERATOR)
  audit    verify the audit trail (verify --file F...) or print it as a table (show [--org] [--since] [--account])
  version  print the version, commit and build date
  teams-package  write the Teams app package to upload (--app-id GUID --out unlockbot-teams.zip)
`

// run is main without the process: tests call it with their own streams.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "demo":
		audit, aerr := os.CreateTemp("", "unlockbot-demo-audit-*.jsonl")
		if aerr != nil {
			fmt.Fprintln(stderr, aerr)
			return 1
		}
		defer audit.Close()
		// Warnings and errors reach the terminal, as console text.
		_, err = runDemo(ctx, demoEnv{Out: stdout, Log: stderr, LogLevel: "warn", Audit: audit})
	case "serve":
		err = cmdServe(ctx, args[1:], stderr)
	case "check":
		err = cmdCheck(ctx, args[1:], stdout, stderr)
	case "reset":
		err = cmdReset(ctx, args[1:], stdin, stdout, stderr)
	case "audit":
		err = cmdAudit(ctx, args[1:], stdout, stderr)
	case "teams-package":
		err = cmdTeamsPackage(args[1:], stdout, stderr)
	case "version", "--version":
		b := buildInfo()
		fmt.Fprintf(stdout, "unlockbot %s (commit %s, built %s, %s)\n", b.Version, orUnknown(b.Commit), orUnknown(b.Date), runtime.Version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unlockbot: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "unlockbot:", err)
		return 1
	}
	return 0
}
