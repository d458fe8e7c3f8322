package main

import (
	"io"
	"os"
	"strings"

	"github.com/rs/zerolog"
)

// Log formats (log_format). serve defaults to JSON, for a log pipeline;
// demo and the operator commands default to console, for a person.
const (
	logJSON    = "json"
	logConsole = "console"
)

func validateLogFormat(f string, bad func(string, string, ...any)) {
	if f != "" && f != logJSON && f != logConsole {
		bad("log_format", "must be json or console (got %q)", f)
	}
}

// newLogger is the one way a logger is built: every line, in either format,
// goes through the redacting writer first (it reads zerolog's JSON), then
// to w as JSON or as console text. An empty format is JSON.
func newLogger(level, format string, w io.Writer) zerolog.Logger {
	l, err := zerolog.ParseLevel(strings.ToLower(level))
	if err != nil {
		l = zerolog.InfoLevel
	}
	if format == logConsole {
		w = zerolog.ConsoleWriter{Out: w, NoColor: !isTerminal(w), TimeFormat: "15:04:05.000"}
	}
	return zerolog.New(newRedactor(w)).Level(l).With().Timestamp().Logger()
}

// defaultLogFormat fills log_format for a command that did not get one.
func defaultLogFormat(cfg *Config, format string) {
	if cfg.LogFormat == "" {
		cfg.LogFormat = format
	}
}

// isTerminal reports whether w is a character device (a terminal), so
// colour codes never reach a file or a pipe.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
