package charttest

import (
	"bytes"
	"debug/elf"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the module root: two levels up from charts/charttest.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found from %s: %v", root, err)
	}
	return root
}

func dockerfile(t *testing.T) []Stage {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := ParseDockerfile(f)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// buildCommand is the build stage's `go build` RUN line.
func buildCommand(t *testing.T, build Stage) string {
	t.Helper()
	var cmd string
	for _, in := range build.Find("RUN") {
		if strings.Contains(in.Args, "go build") {
			if cmd != "" {
				t.Fatalf("line %d: a second go build", in.Line)
			}
			cmd = in.Args
		}
	}
	if cmd == "" {
		t.Fatal("the build stage runs no go build")
	}
	return cmd
}

// TestDockerfile: two stages, a Go builder matching go.mod, a distroless
// (or scratch) final stage holding only the binary, run as a numeric
// non-root user through an exec-form entrypoint, and a static build.
func TestDockerfile(t *testing.T) {
	stages := dockerfile(t)
	if len(stages) != 2 {
		t.Fatalf("%d FROM stages, want 2 (build, run)", len(stages))
	}
	build, final := stages[0], stages[1]

	gomod, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	if want := "golang:" + string(m[1]); build.Image != want || build.Name == "" {
		t.Errorf("build stage FROM %s AS %q, want %s AS <name> (go.mod says go %s)", build.Image, build.Name, want, m[1])
	}
	if !strings.HasPrefix(final.Image, "gcr.io/distroless/static") && final.Image != "scratch" {
		t.Errorf("final stage FROM %s, want distroless static or scratch", final.Image)
	}
	if strings.HasPrefix(final.Image, "gcr.io/distroless/") && !strings.HasSuffix(final.Image, ":nonroot") {
		t.Errorf("final stage FROM %s, want the :nonroot variant", final.Image)
	}
	if r := final.Find("RUN"); len(r) > 0 {
		t.Errorf("line %d: RUN in the final stage; it has no shell", r[0].Line)
	}
	copies := final.Find("COPY")
	if len(copies) != 1 || !strings.HasPrefix(copies[0].Args, "--from="+build.Name+" ") || !strings.HasSuffix(copies[0].Args, " /unlockbot") {
		t.Errorf("final stage COPY %v, want one COPY --from=%s … /unlockbot", copies, build.Name)
	}

	users := final.Find("USER")
	if len(users) != 1 {
		t.Fatalf("final stage has %d USER lines, want 1", len(users))
	}
	uid, gid, ok := strings.Cut(users[0].Args, ":")
	u, uerr := strconv.Atoi(uid)
	g, gerr := strconv.Atoi(gid)
	if !ok || uerr != nil || gerr != nil || u == 0 || g == 0 {
		t.Errorf("USER %s, want a numeric non-root uid:gid (Kubernetes runAsNonRoot needs numbers)", users[0].Args)
	}

	for cmd, want := range map[string][]string{"ENTRYPOINT": {"/unlockbot"}, "CMD": {"serve"}} {
		ins := final.Find(cmd)
		if len(ins) != 1 {
			t.Errorf("%d %s lines, want 1", len(ins), cmd)
			continue
		}
		got, err := ExecForm(ins[0])
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s %s, want %q in exec form (%v)", cmd, ins[0].Args, want, err)
		}
	}
	if e := final.Find("EXPOSE"); len(e) != 1 || e[0].Args != "8080" {
		t.Errorf("EXPOSE %v, want 8080", e)
	}

	cmd := buildCommand(t, build)
	for _, want := range []string{"CGO_ENABLED=0 ", "-trimpath", "-X main.version=$VERSION", "-X main.commit=$COMMIT", "-X main.date=$DATE", "./cmd/unlockbot"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("build command %q lacks %q", cmd, want)
		}
	}
	var args []string
	for _, in := range build.Find("ARG") {
		name, _, _ := strings.Cut(in.Args, "=")
		args = append(args, name)
	}
	for _, a := range []string{"VERSION", "COMMIT", "DATE"} {
		if !slices.Contains(args, a) {
			t.Errorf("build stage has no ARG %s", a)
		}
	}
}

// TestImageBinary builds the binary the way the Dockerfile does — its own
// RUN line, from only what .dockerignore lets into the build context — and
// proves it is static (no ELF interpreter, no shared libraries: it runs on
// distroless static or scratch) and names the injected build.
func TestImageBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	root := repoRoot(t)
	ctxDir := buildContext(t, root)

	words, err := SplitWords(buildCommand(t, dockerfile(t)[0]))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"VERSION": "9.8.7-test", "COMMIT": "c0ffee1", "DATE": "2026-12-01T00:00:00Z", "TARGETOS": "linux", "TARGETARCH": "amd64"}
	bin := filepath.Join(t.TempDir(), "unlockbot")
	env := append(os.Environ(), "GOFLAGS=")
	for len(words) > 0 && strings.Contains(words[0], "=") {
		env = append(env, os.Expand(words[0], func(k string) string { return vars[k] }))
		words = words[1:]
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "build" {
		t.Fatalf("build command %q does not start with go build", words)
	}
	for i := range words {
		words[i] = os.Expand(words[i], func(k string) string { return vars[k] })
		if i > 0 && words[i-1] == "-o" {
			words[i] = bin
		}
	}
	c := exec.Command(words[0], words[1:]...)
	c.Dir, c.Env = ctxDir, env
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(words, " "), err, out)
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("binary has a %v program header: dynamically linked", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("binary needs shared libraries %v", libs)
	}

	out, err := exec.Command(bin, "version").CombinedOutput()
	want := "unlockbot 9.8.7-test (commit c0ffee1, built 2026-12-01T00:00:00Z, go"
	if err != nil || !strings.HasPrefix(string(out), want) {
		t.Fatalf("version: %v %q, want prefix %q", err, out, want)
	}
	maybeDockerBuild(t, root)
}

// buildContext copies into a temporary directory what the Docker builder
// would receive, so a .dockerignore that drops a needed file fails here.
func buildContext(t *testing.T, root string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	ig, err := ParseIgnore(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !ig.Excluded(".git/config") || !ig.Excluded("audit.jsonl") || ig.Excluded("cmd/unlockbot/main.go") {
		t.Fatalf(".dockerignore %q: want .git and audit trails out, sources in", ig)
	}
	dst := t.TempDir()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if ig.Excluded(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// maybeDockerBuild builds and runs the real image where a daemon answers;
// most machines (and this project's CI runner) have none.
func maybeDockerBuild(t *testing.T, root string) {
	if exec.Command("docker", "info").Run() != nil {
		t.Log("no reachable Docker daemon: image build skipped (start one to build it: docker info)")
		return
	}
	tag := "unlockbot-charttest:" + strconv.Itoa(os.Getpid())
	b := exec.Command("docker", "build", "--build-arg", "VERSION=9.8.7-test", "--build-arg", "COMMIT=c0ffee1", "--build-arg", "DATE=2026-12-01T00:00:00Z", "-t", tag, root)
	if out, err := b.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	defer exec.Command("docker", "rmi", "-f", tag).Run()
	out, err := exec.Command("docker", "run", "--rm", "--read-only", "--cap-drop", "ALL", tag, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "unlockbot 9.8.7-test (commit c0ffee1") {
		t.Fatalf("docker run version: %v %q", err, out)
	}
}
