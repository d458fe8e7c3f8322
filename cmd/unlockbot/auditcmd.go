package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/unlockbot/unlockbot/audit"
	"github.com/unlockbot/unlockbot/audit/redisstream"
)

const auditUsage = `usage: unlockbot audit <verify|show> --config F [flags]

  verify [--file F]...     check every record: MAC, sequence, link to the one before;
                           give rotated files oldest first (default: audit.file)
  verify --redis-stream    the same for the stream of audit.redis_stream, in the config's Redis
  show   [--file F]... [--org ID] [--since 24h] [--account NAME]
                           one line per request: when, account, who asked, who approved, outcome, ticket
`

// fileList is a repeatable --file flag.
type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, auditUsage)
		return errors.New("audit: say verify or show")
	}
	switch args[0] {
	case "verify":
		return cmdAuditVerify(ctx, args[1:], stdout, stderr)
	case "show":
		return cmdAuditShow(args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, auditUsage)
	return fmt.Errorf("audit: unknown subcommand %q", args[0])
}

// auditFlags parses the flags verify and show share and reads the keys.
func auditFlags(fs *flag.FlagSet, args []string) (*audit.Keyring, []string, *Config, error) {
	var files fileList
	fs.Var(&files, "file", "audit file, repeatable; rotated files oldest first (default: audit.file from the config)")
	cfg, err := parseFlags(fs, args)
	if err != nil {
		return nil, nil, nil, err
	}
	keys, err := cfg.Audit.Keyring()
	if err != nil {
		return nil, nil, nil, err
	}
	if len(files) == 0 {
		p := cfg.Audit.File
		if p == "" {
			p = "audit.jsonl"
		}
		files = fileList{p}
	}
	return keys, files, cfg, nil
}

// walkTrail verifies the files in order as one trail, calling fn for each
// record; the first broken record stops it.
func walkTrail(keys *audit.Keyring, files []string, fn func(audit.Record) error) (*audit.Verifier, error) {
	v := audit.NewVerifier(keys)
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			return v, fmt.Errorf("audit: %w", err)
		}
		err = v.Lines(p, f, fn)
		f.Close()
		if err != nil {
			return v, err
		}
	}
	return v, nil
}

func cmdAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stream := fs.Bool("redis-stream", false, "verify the Redis Stream of audit.redis_stream instead of files")
	keys, files, cfg, err := auditFlags(fs, args)
	if err != nil {
		return err
	}
	if *stream {
		return verifyStream(ctx, cfg, keys, stdout)
	}
	v, err := walkTrail(keys, files, nil)
	if err != nil {
		var b *audit.Broken
		if errors.As(err, &b) {
			fmt.Fprintf(stdout, "BROKEN after %d good records: %v\n", v.Records, b)
			return errors.New("audit: the trail does not verify; keep the files as they are and compare them with the copies in the Redis Stream or the SIEM")
		}
		return err
	}
	if v.Records == 0 {
		return errors.New("audit: the files hold no records")
	}
	fmt.Fprintf(stdout, "OK: %d records, seq %d to %d, every MAC and link checked\n", v.Records, v.Anchor.Seq+1, v.At().Seq)
	if v.Anchor.Seq > 0 {
		fmt.Fprintf(stdout, "The first file continues an earlier one (after seq %d, hash %.16s…): give that file first to check the link too.\n",
			v.Anchor.Seq, v.Anchor.Hash)
	}
	return nil
}

// verifyStream checks the whole stream the replicas share.
func verifyStream(ctx context.Context, cfg *Config, keys *audit.Keyring, stdout io.Writer) error {
	if cfg.Audit.RedisStream == nil || !cfg.usesRedis() {
		return errors.New("audit: this config has no audit.redis_stream (and redis_url or redis) to verify")
	}
	rs, err := cfg.redisStore()
	if err != nil {
		return err
	}
	defer rs.Close()
	name := streamName(cfg)
	n, err := redisstream.Verify(ctx, rs.Client(), name, keys)
	if err != nil {
		var b *audit.Broken
		if errors.As(err, &b) {
			fmt.Fprintf(stdout, "BROKEN: %v\n", b)
			return errors.New("audit: the stream does not verify; compare it with the files of each replica")
		}
		return err
	}
	fmt.Fprintf(stdout, "OK: %d records in %s, every MAC and link checked\n", n, name)
	return nil
}
