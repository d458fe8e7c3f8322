package metrics

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// botSource is the flow's code (not its tests), where events and refusal
// codes are written.
func botSource(t *testing.T) string {
	t.Helper()
	files, err := filepath.Glob("../*.go")
	if err != nil || len(files) < 20 {
		t.Fatalf("bot sources: %v (%d files)", err, len(files))
	}
	var b strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(src)
	}
	return b.String()
}

func matches(src string, res ...string) map[string]bool {
	out := map[string]bool{}
	for _, re := range res {
		for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(src, -1) {
			out[m[1]] = true
		}
	}
	return out
}

// TestEveryEventTypeIsListed: an event type the flow writes but the list
// lacks would be counted as "other" and vanish from the dashboards.
func TestEveryEventTypeIsListed(t *testing.T) {
	src := botSource(t)
	types := matches(src, `"((?:request|reset|unlock|ticket|password|platform)\.[a-z_]+)"`)
	for what := range matches(src, `Mode\)\s*\+\s*"\.([a-z_]+)"`) {
		for _, m := range modes {
			types[m+"."+what] = true
		}
	}
	if len(types) < 25 {
		t.Fatalf("found only %d event types in bot/: is the pattern stale?", len(types))
	}
	for typ := range types {
		if !eventTypes[typ] {
			t.Errorf("bot/ writes event %q, which metrics counts as other: add it to eventTypes", typ)
		}
	}
}

// TestEveryRefusalCodeIsListed: the same for refusal codes and the reasons
// a submission is refused for.
func TestEveryRefusalCodeIsListed(t *testing.T) {
	src := botSource(t)
	codes := matches(src,
		`refusal\("([a-z_]+)"`, `Refusal\{"([a-z_]+)"`, `"code":\s*"([a-z_]+)"`,
		`s\.refused\(ctx,[^\n]*"([a-z_]+)", err\)`, `return "([a-z_]+)", errorf`, `why = "([a-z_]+)"`, `return "(invalid)"`)
	if len(codes) < 15 {
		t.Fatalf("found only %d refusal codes in bot/: is the pattern stale?", len(codes))
	}
	for c := range codes {
		if !refusalCodes[c] {
			t.Errorf("bot/ refuses with code %q, which metrics counts as other: add it to refusalCodes", c)
		}
	}
}
