// Package charttest checks what is deployed: the container image's
// Dockerfile and the Helm chart charts/unlockbot. It lives in its own
// package so the Kubernetes API modules its tests decode into are compiled
// for these tests only.
package charttest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Instruction is one Dockerfile instruction, continuations joined.
type Instruction struct {
	Line int    // where it starts
	Cmd  string // upper case: FROM, RUN, …
	Args string // the rest, as written
}

// Stage is one FROM and the instructions under it.
type Stage struct {
	From         Instruction
	Image, Name  string // "golang:1.26", "build"
	Instructions []Instruction
}

// ParseDockerfile splits a Dockerfile into stages. It knows the syntax our
// Dockerfile uses (comments, continuations, parser directives) and refuses
// anything before the first FROM other than ARG, so a surprise is an error
// rather than a silently skipped line.
func ParseDockerfile(r io.Reader) ([]Stage, error) {
	var stages []Stage
	sc := bufio.NewScanner(r)
	n, start := 0, 0
	var buf strings.Builder
	flush := func() error {
		text := strings.TrimSpace(buf.String())
		buf.Reset()
		if text == "" {
			return nil
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := Instruction{Line: start, Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)}
		if in.Cmd == "FROM" {
			st, err := parseFrom(in)
			if err != nil {
				return err
			}
			stages = append(stages, st)
			return nil
		}
		if len(stages) == 0 {
			if in.Cmd == "ARG" {
				return nil
			}
			return fmt.Errorf("line %d: %s before the first FROM", in.Line, in.Cmd)
		}
		last := &stages[len(stages)-1]
		last.Instructions = append(last.Instructions, in)
		return nil
	}
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && buf.Len() == 0) {
			continue
		}
		if buf.Len() == 0 {
			start = n
		}
		if cont, ok := strings.CutSuffix(trimmed, "\\"); ok {
			buf.WriteString(cont + " ")
			continue
		}
		buf.WriteString(trimmed)
		if err := flush(); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if buf.Len() > 0 {
		return nil, fmt.Errorf("line %d: continuation at the end of the file", start)
	}
	return stages, flush()
}

// parseFrom reads "FROM [--platform=…] image [AS name]".
func parseFrom(in Instruction) (Stage, error) {
	f := strings.Fields(in.Args)
	for len(f) > 0 && strings.HasPrefix(f[0], "--") {
		if !strings.HasPrefix(f[0], "--platform=") {
			return Stage{}, fmt.Errorf("line %d: unknown FROM flag %s", in.Line, f[0])
		}
		f = f[1:]
	}
	st := Stage{From: in}
	switch {
	case len(f) == 1:
		st.Image = f[0]
	case len(f) == 3 && strings.EqualFold(f[1], "AS"):
		st.Image, st.Name = f[0], f[2]
	default:
		return Stage{}, fmt.Errorf("line %d: FROM %q is not \"image [AS name]\"", in.Line, in.Args)
	}
	return st, nil
}

// Find returns the stage's instructions of one kind.
func (s Stage) Find(cmd string) []Instruction {
	var out []Instruction
	for _, in := range s.Instructions {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// ExecForm decodes a JSON-array argument (ENTRYPOINT ["/x"]); shell form
// is an error: distroless has no shell to run it.
func ExecForm(in Instruction) ([]string, error) {
	var v []string
	if err := json.Unmarshal([]byte(in.Args), &v); err != nil || len(v) == 0 {
		return nil, fmt.Errorf("line %d: %s %s is not exec form (a JSON array)", in.Line, in.Cmd, in.Args)
	}
	return v, nil
}

// SplitWords splits a shell command line into words: spaces separate,
// double quotes group. It refuses what it does not understand (single
// quotes, pipes, &&, $( ) so the test never runs a guessed command.
func SplitWords(s string) ([]string, error) {
	if strings.ContainsAny(s, "'|;&`<>") || strings.Contains(s, "$(") {
		return nil, fmt.Errorf("command %q is more than one simple command", s)
	}
	var words []string
	var cur strings.Builder
	inQuote, have := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote, have = !inQuote, true
		case r == ' ' && !inQuote:
			if have {
				words = append(words, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("command %q: unbalanced quote", s)
	}
	if have {
		words = append(words, cur.String())
	}
	return words, nil
}
