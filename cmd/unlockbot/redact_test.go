package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// Secrets the hostile lines below carry; none may come out.
var hostileSecrets = []string{
	"hunter2-Sekr1t", "Tr0ub4dor&3", "pässwörd-Ünï", "xoxb-1234-5678-AbCdEfGh", "xapp-1-A0B1-99aa",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl", "dXNlcjpwYXNzd29yZA==", "abc.DEF-123_bearer",
	"sealKeyBase64/xyz=", "s3ss10n-c00kie", "rEdIsPw99",
}

func TestRedactorMasksHostileLines(t *testing.T) {
	cases := []struct{ name, in string }{
		{"secret key", `{"level":"info","password":"hunter2-Sekr1t","message":"x"}`},
		{"key case and separators", `{"DB_PassWord":"hunter2-Sekr1t","X-Api-Key":"Tr0ub4dor&3","clientSecret":"rEdIsPw99"}`},
		{"escaped key", `{"pass\u0077ord":"hunter2-Sekr1t"}`},
		{"nested object and array", `{"req":{"headers":{"Authorization":["Bearer abc.DEF-123_bearer"],"Cookie":"s3ss10n-c00kie"}},"seal_key":{"raw":"sealKeyBase64/xyz="}}`},
		{"secret key holding a number", `{"pwd":12345678,"message":"the number is masked"}`},
		{"pair in message", `{"message":"bind failed: password=hunter2-Sekr1t for cn=bot"}`},
		{"quoted pair in message", `{"message":"config said \"password\": \"Tr0ub4dor&3\" oops"}`},
		{"unicode pair", `{"error":"ldap: pwd=pässwörd-Ünï rejected"}`},
		{"header text", `{"error":"GET /x: Authorization: Basic dXNlcjpwYXNzd29yZA== refused"}`},
		{"bearer after an escape", `{"error":"line one\nBearer abc.DEF-123_bearer"}`},
		{"slack token", `{"message":"posting with xoxb-1234-5678-AbCdEfGh and xapp-1-A0B1-99aa"}`},
		{"jwt", `{"message":"token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl expired"}`},
		{"url password", `{"error":"dial redis://:rEdIsPw99@10.0.0.5:6379/0: refused"}`},
		{"not json", `panic: password=hunter2-Sekr1t xoxb-1234-5678-AbCdEfGh`},
		{"broken json", `{"message":"Bearer abc.DEF-123_bearer", "password": "Tr0ub4dor&3"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			r := newRedactor(&out)
			if _, err := r.Write([]byte(tc.in + "\n")); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			for _, s := range hostileSecrets {
				if strings.Contains(got, s) {
					t.Errorf("secret %q survived: %s", s, got)
				}
			}
			if !strings.Contains(got, "[redacted]") {
				t.Errorf("nothing masked: %s", got)
			}
			if strings.HasPrefix(tc.in, "{") && json.Valid([]byte(tc.in)) && !json.Valid(bytes.TrimSpace(out.Bytes())) {
				t.Errorf("valid JSON in, invalid out: %s", got)
			}
			if strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, "\n") {
				t.Errorf("not one whole line: %q", got)
			}
		})
	}
}

// The fields a reader needs pass unchanged, and so does ordinary text.
func TestRedactorKeepsFactsVerbatim(t *testing.T) {
	in := `{"level":"info","request":"r-01HZX3","org":"acme","actor":"slack:T0123:U0456","account":"alice.smith@acme.example",` +
		`"target":"CN=Alice Smith,OU=Staff,DC=acme,DC=example","time":"2026-03-02T09:00:00Z","took":"1.5ms",` +
		`"message":"Basic setup done; key: abc; the token was refused by the server","detail":{"url":"https://api.example/v1?x=1"},"password_policy":null}`
	var out bytes.Buffer
	if _, err := newRedactor(&out).Write([]byte(in + "\n")); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSuffix(out.String(), "\n"); got != in {
		t.Fatalf("changed:\n in  %s\n out %s", in, got)
	}
}

// A secret split across Writes is caught; several lines in one Write go
// out as several Writes; a last line without newline waits for Flush.
func TestRedactorReassemblesLines(t *testing.T) {
	var out recordingWriter
	r := newRedactor(&out)
	line := `{"message":"password=hunter2-Sekr1t","org":"acme"}` + "\n"
	for i := 1; i < len(line); i++ {
		out.writes = nil
		_, _ = r.Write([]byte(line[:i]))
		_, _ = r.Write([]byte(line[i:]))
		if len(out.writes) != 1 || strings.Contains(out.writes[0], "hunter2") || !json.Valid([]byte(out.writes[0])) {
			t.Fatalf("split at %d: %q", i, out.writes)
		}
	}
	out.writes = nil
	_, _ = r.Write([]byte("{\"a\":1}\n{\"token\":\"xoxp-1-2\"}\n{\"b\""))
	if len(out.writes) != 2 || strings.Contains(out.writes[1], "xoxp-1-2") {
		t.Fatalf("two lines in one write: %q", out.writes)
	}
	if err := r.Flush(); err != nil || len(out.writes) != 3 || out.writes[2] != "{\"b\"\n" {
		t.Fatalf("flush: %v %q", err, out.writes)
	}
	out.fail = true
	if n, err := r.Write([]byte("{}\n")); err == nil || n != 3 {
		t.Fatalf("a failing destination: n=%d err=%v", n, err)
	}
}

type recordingWriter struct {
	writes []string
	fail   bool
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.fail {
		return 0, errors.New("disk full")
	}
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

// Through the real logger, both formats: the logger is built only by
// newLogger, so nothing reaches the destination unfiltered.
func TestLoggerRedactsInBothFormats(t *testing.T) {
	for _, format := range []string{logJSON, logConsole} {
		var out bytes.Buffer
		log := newLogger("debug", format, &out)
		log.Info().Str("request", "r-1").Str("org", "acme").Str("api_token", "xoxb-1234-5678-AbCdEfGh").
			Msg("retry with Authorization: Bearer abc.DEF-123_bearer")
		got := out.String()
		if strings.Contains(got, "xoxb-1234") || strings.Contains(got, "abc.DEF-123") || !strings.Contains(got, "r-1") || !strings.Contains(got, "acme") {
			t.Errorf("%s: %s", format, got)
		}
		if format == logJSON && !json.Valid(bytes.TrimSpace(out.Bytes())) {
			t.Errorf("json format: %s", got)
		}
		if format == logConsole && (strings.HasPrefix(got, "{") || strings.Contains(got, "\x1b[")) {
			t.Errorf("console format: JSON or colour codes in %q", got)
		}
	}
}

var benchLine = []byte(`{"level":"info","request":"r-01HZX3K9","org":"acme","actor":"slack:T0123:U0456","account":"alice.smith",` +
	`"step":"directory.set_password","took":"12.5ms","time":"2026-03-02T09:00:00Z","message":"password set and verified by a bind as the user"}` + "\n")

// BenchmarkRedactor is the cost per line of a typical log line.
func BenchmarkRedactor(b *testing.B) {
	r := newRedactor(discardWriter{})
	b.SetBytes(int64(len(benchLine)))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = r.Write(benchLine)
	}
}

// BenchmarkRedactorHostile is a line where most rules fire.
func BenchmarkRedactorHostile(b *testing.B) {
	line := []byte(`{"level":"warn","password":"x","req":{"headers":{"Authorization":"Bearer abcdefghijk"}},"message":"xoxb-1-2 eyJa.eyJb.c password=y"}` + "\n")
	r := newRedactor(discardWriter{})
	b.ReportAllocs()
	for b.Loop() {
		_, _ = r.Write(line)
	}
}

// BenchmarkZerologThroughRedactor is a whole log call, for comparison.
func BenchmarkZerologThroughRedactor(b *testing.B) {
	log := zerolog.New(newRedactor(discardWriter{}))
	b.ReportAllocs()
	for b.Loop() {
		log.Info().Str("request", "r-01HZX3K9").Str("org", "acme").Str("account", "alice.smith").Msg("password set and verified")
	}
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkZerologPlain is the same call without the redactor: the
// difference is what the backstop costs.
func BenchmarkZerologPlain(b *testing.B) {
	log := zerolog.New(discardWriter{})
	b.ReportAllocs()
	for b.Loop() {
		log.Info().Str("request", "r-01HZX3K9").Str("org", "acme").Str("account", "alice.smith").Msg("password set and verified")
	}
}
