package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeAdapter records when it is mounted and shut down.
func fakeAdapter(name string, log *[]string, mountErr error) adapterFactory {
	return adapterFactory{
		name: name,
		mount: func(_ *app, _ context.Context, _ *http.ServeMux) (func(context.Context) error, error) {
			*log = append(*log, "mount "+name)
			return func(context.Context) error { *log = append(*log, "stop "+name); return nil }, mountErr
		},
		check: func(*app, context.Context) (string, error) { return name + " answers", nil },
	}
}

// Every adapter in the list is mounted in order and shut down in reverse;
// a failing one stops serve from starting.
func TestAdaptersAreAList(t *testing.T) {
	var log []string
	stop, err := (&app{}).mountAdapters(context.Background(), http.NewServeMux(), []adapterFactory{fakeAdapter("one", &log, nil), fakeAdapter("two", &log, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(log, ", "); got != "mount one, mount two, stop two, stop one" {
		t.Fatalf("order: %s", got)
	}
	log = nil
	boom := errors.New("boom")
	_, err = (&app{}).mountAdapters(context.Background(), http.NewServeMux(), []adapterFactory{fakeAdapter("one", &log, boom), fakeAdapter("two", &log, nil)})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "one: boom") || strings.Join(log, ", ") != "mount one" {
		t.Fatalf("err %v, log %q", err, log)
	}
	// One that fails after others mounted stops those again.
	log = nil
	_, err = (&app{}).mountAdapters(context.Background(), http.NewServeMux(), []adapterFactory{fakeAdapter("one", &log, nil), fakeAdapter("two", &log, nil), fakeAdapter("three", &log, boom)})
	if !errors.Is(err, boom) || strings.Join(log, ", ") != "mount one, mount two, mount three, stop two, stop one" {
		t.Fatalf("err %v, log %q", err, log)
	}
}

// `unlockbot check` reports every adapter in the list.
func TestCheckReportsEveryAdapter(t *testing.T) {
	var log []string
	saved := adapters
	adapters = append(append([]adapterFactory(nil), adapters...), fakeAdapter("chat", &log, nil))
	defer func() { adapters = saved }()
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("SLACK_BOT_TOKEN_FILE", "")
	dir := t.TempDir()
	path := filepath.Join(dir, "unlockbot.yaml")
	y := "audit: { file: " + filepath.Join(dir, "audit.jsonl") + ", hmac_keys: [{ id: t1, key_env: UNLOCKBOT_TEST_AUDIT_KEY }] }\norgs:\n  - id: acme\n    directory: { kind: demo, dev_mode: true }\n"
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	run(context.Background(), []string{"check", "--config", path}, nil, &out, &errb)
	for _, want := range []string{"✓ slack: SLACK_BOT_TOKEN not set: Slack is off", "✓ chat: chat answers"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}
}
