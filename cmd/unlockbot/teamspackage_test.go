package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const testBotID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"

// teamsPackage runs the command and returns its exit code and streams.
func teamsPackage(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("TEAMS_APP_ID", "")
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"teams-package"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// buildPackage writes a package into a fresh directory and returns its files.
func buildPackage(t *testing.T, args ...string) map[string][]byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "unlockbot-teams.zip")
	code, _, stderr := teamsPackage(t, append([]string{"--out", out}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var names []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
		files[f.Name] = b
	}
	if want := []string{"manifest.json", "color.png", "outline.png"}; !slices.Equal(names, want) {
		t.Fatalf("zip holds %q, want exactly %q (Teams wants the three at the root)", names, want)
	}
	return files
}

func decodeIcon(t *testing.T, b []byte, size int) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds(); got != image.Rect(0, 0, size, size) {
		t.Fatalf("icon is %v, want %d×%d", got, size, size)
	}
	return img
}

func TestTeamsPackageIcons(t *testing.T) {
	files := buildPackage(t, "--app-id", testBotID)

	col := decodeIcon(t, files["color.png"], 192)
	colours := map[[3]uint32]bool{}
	for y := range 192 {
		for x := range 192 {
			r, g, b, a := col.At(x, y).RGBA()
			if a != 0xFFFF {
				t.Fatalf("colour icon pixel (%d,%d) has alpha %d; Teams shows it on any background, so it is opaque", x, y, a)
			}
			colours[[3]uint32{r, g, b}] = true
		}
	}
	if !colours[[3]uint32{0x2F2F, 0x5454, 0x9696}] || !colours[[3]uint32{0xFFFF, 0xFFFF, 0xFFFF}] {
		t.Fatalf("colour icon lacks the accent background or the white padlock (%d colours)", len(colours))
	}

	out := decodeIcon(t, files["outline.png"], 32)
	white, clear := 0, 0
	for y := range 32 {
		for x := range 32 {
			r, g, b, a := out.At(x, y).RGBA()
			switch {
			case a == 0:
				clear++
			case r == 0xFFFF && g == 0xFFFF && b == 0xFFFF && a == 0xFFFF:
				white++
			default:
				t.Fatalf("outline pixel (%d,%d) is %04x/%04x/%04x alpha %04x; Teams accepts only white and transparent", x, y, r, g, b, a)
			}
		}
	}
	// A padlock covers a fair part of the square, not nothing or all of it.
	if white < 200 || clear < 200 {
		t.Fatalf("outline has %d white and %d transparent pixels: no recognisable shape", white, clear)
	}
	// The keyhole is cut out of the body: the centre of the body is clear.
	if _, _, _, a := out.At(16, 19).RGBA(); a != 0 {
		t.Fatal("outline has no keyhole at the centre of the body")
	}
}

// offlineLoader refuses every URL: the vendored schema must be complete, and
// a test must never reach the network.
type offlineLoader struct{}

func (offlineLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("offline: the schema references %s, which is not vendored in testdata/", url)
}

// manifestSchema compiles the vendored official schema under its published
// URL, offline.
func manifestSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "teams-manifest-v1.17.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(offlineLoader{})
	c.AssertFormat()
	if err := c.AddResource(teamsManifestSchema, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(teamsManifestSchema)
	if err != nil {
		t.Fatalf("compile the vendored schema offline: %v", err)
	}
	return sch
}

func validateManifest(t *testing.T, sch *jsonschema.Schema, raw []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

func TestTeamsManifestMatchesOfficialSchema(t *testing.T) {
	sch := manifestSchema(t)
	for name, args := range map[string][]string{
		"defaults": {"--app-id", testBotID},
		"all flags": {"--app-id", strings.ToUpper(testBotID), "--teams-app-id", "11111111-2222-3333-4444-555555555555",
			"--name", "Helpdesk Unlock for Acme Corp.", "--version", "2.10.0", "--domain", "bot.example.com",
			"--developer-name", "Acme IT", "--developer-url", "https://it.example.com/unlockbot",
			"--privacy-url", "https://it.example.com/privacy", "--terms-url", "https://it.example.com/terms"},
	} {
		t.Run(name, func(t *testing.T) {
			raw := buildPackage(t, args...)["manifest.json"]
			if err := validateManifest(t, sch, raw); err != nil {
				t.Fatalf("manifest does not match the official v1.17 schema: %v\n%s", err, raw)
			}
			var m teamsManifest
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			// The schema says "manifestVersion": {"const": "1.17"}, but it is
			// draft-04, which has no const: a validator ignores it, so the
			// version the schema is for is checked here.
			if m.ManifestVersion != "1.17" || !strings.Contains(m.Schema, "/v1.17/") {
				t.Errorf("manifestVersion %q, $schema %q: not the vendored schema's version", m.ManifestVersion, m.Schema)
			}
			if m.Bots[0].BotID != testBotID {
				t.Errorf("botId %q, want %q", m.Bots[0].BotID, testBotID)
			}
			if cmds := m.Bots[0].CommandLists[0].Commands; len(cmds) != 1 || cmds[0].Title != "unlock" {
				t.Errorf("commands %+v, want the one unlock command", cmds)
			}
			if !slices.Equal(m.Bots[0].Scopes, []string{"personal", "team"}) {
				t.Errorf("scopes %q", m.Bots[0].Scopes)
			}
		})
	}
	// The validator is not vacuous: what Teams would refuse, it refuses.
	raw := buildPackage(t, "--app-id", testBotID)["manifest.json"]
	for what, edit := range map[string]func(map[string]any){
		"a short name over 30":     func(m map[string]any) { m["name"].(map[string]any)["short"] = strings.Repeat("x", 31) },
		"an http privacy URL":      func(m map[string]any) { m["developer"].(map[string]any)["privacyUrl"] = "ftp://x" },
		"a bot id not a GUID":      func(m map[string]any) { m["bots"].([]any)[0].(map[string]any)["botId"] = "not-a-guid" },
		"an unknown key":           func(m map[string]any) { m["supportsEverything"] = true },
		"an accent colour by name": func(m map[string]any) { m["accentColor"] = "blue" },
	} {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		bad, _ := json.Marshal(m)
		if validateManifest(t, sch, bad) == nil {
			t.Errorf("the schema accepted a manifest with %s", what)
		}
	}
}

func TestTeamsAppIDIsStablePerBot(t *testing.T) {
	id := func(args ...string) string {
		var m teamsManifest
		if err := json.Unmarshal(buildPackage(t, args...)["manifest.json"], &m); err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	first := id("--app-id", testBotID)
	if again := id("--app-id", strings.ToUpper(testBotID), "--version", "1.0.1"); again != first {
		t.Errorf("a new version of the same bot got Teams app id %s, first %s: the upload would add a second app", again, first)
	}
	if other := id("--app-id", "9d3c1e2a-0000-4000-8000-000000000001"); other == first {
		t.Error("two bots got the same Teams app id")
	}
	if first == testBotID {
		t.Error("the Teams app id is the bot id itself, not derived")
	}
	if got := id("--app-id", testBotID, "--teams-app-id", "AAAAAAAA-2222-3333-4444-555555555555"); got != "aaaaaaaa-2222-3333-4444-555555555555" {
		t.Errorf("--teams-app-id gave %s", got)
	}
}

func TestTeamsPackageIsReproducible(t *testing.T) {
	dir := t.TempDir()
	var runs [][]byte
	for _, name := range []string{"a.zip", "b.zip"} {
		p := filepath.Join(dir, name)
		if code, _, stderr := teamsPackage(t, "--app-id", testBotID, "--out", p); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, b)
	}
	if !bytes.Equal(runs[0], runs[1]) {
		t.Fatal("two runs with the same flags wrote different bytes")
	}
	// Two runs within a second would agree even with the clock's time in the
	// zip; a fixed stamp is what makes a rebuild tomorrow agree too.
	zr, err := zip.NewReader(bytes.NewReader(runs[0]), int64(len(runs[0])))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if !f.Modified.Equal(teamsZipTime) {
			t.Errorf("%s is stamped %v, not the fixed %v", f.Name, f.Modified, teamsZipTime)
		}
	}
}

func TestTeamsPackageRefusesBadFlags(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no app id":        {nil, "--app-id is required"},
		"app id not guid":  {[]string{"--app-id", "unlockbot"}, "is not a GUID"},
		"app id truncated": {[]string{"--app-id", testBotID[:35]}, "is not a GUID"},
		"teams id":         {[]string{"--app-id", testBotID, "--teams-app-id", "x"}, "--teams-app-id"},
		"long name":        {[]string{"--app-id", testBotID, "--name", strings.Repeat("n", 31)}, "--name must be 1 to 30"},
		"version":          {[]string{"--app-id", testBotID, "--version", "1.0"}, "--version"},
		"http url":         {[]string{"--app-id", testBotID, "--developer-url", "http://example.com"}, "--developer-url"},
		"domain with path": {[]string{"--app-id", testBotID, "--domain", "https://bot.example.com/api"}, "--domain"},
		"stray argument":   {[]string{"--app-id", testBotID, "out.zip"}, "unexpected argument"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "unlockbot-teams.zip")
			code, _, stderr := teamsPackage(t, append([]string{"--out", out}, tc.args...)...)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want an error naming %q", code, stderr, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("a refused run left %d file(s) behind", len(entries))
			}
		})
	}
}

func TestTeamsPackageDoesNotOverwrite(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "unlockbot-teams.zip")
	if err := os.WriteFile(out, []byte("an earlier package"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := teamsPackage(t, "--app-id", testBotID, "--out", out)
	if code == 0 || !strings.Contains(stderr, "already exists; pass --force") {
		t.Fatalf("exit %d, stderr %q; want a refusal", code, stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != "an earlier package" {
		t.Fatal("the existing file was changed")
	}
	if code, _, stderr := teamsPackage(t, "--app-id", testBotID, "--out", out, "--force"); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(out); !bytes.HasPrefix(b, []byte("PK")) {
		t.Fatal("--force did not replace the file with the package")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("the directory holds %d entries, want the package alone (no temp file left)", len(entries))
	}
}

// A link appearing between the first check and the final step is not
// overwritten either: the last step is a no-clobber link, not a rename.
func TestWriteFileAtomicNoClobberAtTheEnd(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "p.zip")
	if err := os.WriteFile(out, []byte("theirs"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(out, []byte("ours"), false); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("got %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "theirs" {
		t.Fatal("the file that appeared was overwritten")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("a refused write left %d entries, want 1", len(entries))
	}
	if err := writeFileAtomic(filepath.Join(dir, "missing", "p.zip"), []byte("x"), false); err == nil {
		t.Fatal("a write into a missing directory succeeded")
	}
}
