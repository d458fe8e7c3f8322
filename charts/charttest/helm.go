package charttest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// HelmVersion is the Helm the chart is checked with, built from the module
// proxy: no download outside Go's own toolchain.
const HelmVersion = "v3.22.0"

var (
	helmOnce sync.Once
	helmPath string
	helmErr  error
)

// Helm returns a helm binary, building it once per machine: the first run
// pays a few minutes of compiling, later runs find it in os.TempDir().
func Helm() (string, error) {
	helmOnce.Do(func() { helmPath, helmErr = buildHelm() })
	return helmPath, helmErr
}

func buildHelm() (string, error) {
	dir := filepath.Join(os.TempDir(), "unlockbot-helm-"+HelmVersion)
	bin := filepath.Join(dir, "helm")
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Install into a private directory, then rename: a parallel run never
	// sees half a binary.
	stage, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(stage)
	cmd := exec.Command("go", "install", "helm.sh/helm/v3/cmd/helm@"+HelmVersion)
	cmd.Dir = stage
	cmd.Env = append(os.Environ(), "GOBIN="+stage, "GOFLAGS=", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install helm %s: %v\n%s", HelmVersion, err, out)
	}
	if err := os.Rename(filepath.Join(stage, "helm"), bin); err != nil {
		return "", err
	}
	return bin, nil
}

// RunHelm runs helm with its caches and config in home, so the user's
// repositories and plugins play no part.
func RunHelm(home string, args ...string) (stdout []byte, err error) {
	bin, err := Helm()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"KUBECONFIG="+filepath.Join(home, "no-kubeconfig"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("helm %v: %v\n%s%s", args, err, out.Bytes(), errb.Bytes())
	}
	return out.Bytes(), nil
}
