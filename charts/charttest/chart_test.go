package charttest

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
)

const chartDir = "../unlockbot"

// helm runs helm, building it on first use. Outside CI a machine that
// cannot build it (no module proxy) skips; in CI that is a failure.
func helm(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs helm; skipped with -short")
	}
	if _, err := Helm(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("helm: %v", err)
		}
		t.Skipf("helm unavailable (needs the Go module proxy for helm.sh/helm/v3@%s): %v", HelmVersion, err)
	}
	return RunHelm(t.TempDir(), args...)
}

func render(t *testing.T, args ...string) *Manifests {
	t.Helper()
	out, err := helm(t, append([]string{"template", "rel", chartDir, "--namespace", "helpdesk"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestChartLint(t *testing.T) {
	for _, values := range []string{"", "testdata/all-on.yaml", "testdata/sentinel.yaml"} {
		args := []string{"lint", "--strict", chartDir}
		if values != "" {
			args = append(args, "--values", values)
		}
		if out, err := helm(t, args...); err != nil {
			t.Errorf("%v\n%s", err, out)
		}
	}
}

// TestChartDefaults: a plain install is already safe: two replicas, a PDB,
// a NetworkPolicy admitting only the HTTP port with egress open, the audit
// file on an emptyDir, the dashboard for Grafana's sidecar.
func TestChartDefaults(t *testing.T) {
	m := render(t)
	d := checkWorkload(t, m)
	if len(m.Secrets) != 0 || d.Spec.Template.Spec.Containers[0].EnvFrom != nil {
		t.Errorf("no secrets given, yet %d Secrets / envFrom %v rendered", len(m.Secrets), d.Spec.Template.Spec.Containers[0].EnvFrom)
	}
	if len(m.Ingresses)+len(m.HPAs)+len(m.ServiceMonitors) != 0 {
		t.Error("ingress, HPA or ServiceMonitor rendered while disabled")
	}
	if len(m.NetworkPolicies) != 1 {
		t.Fatalf("%d NetworkPolicies, want 1", len(m.NetworkPolicies))
	}
	np := m.NetworkPolicies[0].Spec
	sel, _ := metav1Selector(np.PodSelector.MatchLabels)
	if !sel.Matches(labels.Set(d.Spec.Template.Labels)) || len(np.Ingress) != 1 || len(np.Ingress[0].Ports) != 1 ||
		np.Ingress[0].Ports[0].Port.String() != "http" || len(np.Ingress[0].From) != 0 {
		t.Errorf("NetworkPolicy %+v: want ingress to the http port only, from anywhere", np)
	}
	if slices.Contains(np.PolicyTypes, "Egress") {
		t.Errorf("NetworkPolicy restricts egress by default: %v", np.PolicyTypes)
	}
	dash := configMap(t, m, "rel-unlockbot-dashboard")
	want, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if dash.Labels["grafana_dashboard"] != "1" || strings.TrimSpace(dash.Data["unlockbot.json"]) != strings.TrimSpace(string(want)) {
		t.Errorf("dashboard ConfigMap: label %q, content equal to docs/grafana-dashboard.json: %v",
			dash.Labels["grafana_dashboard"], strings.TrimSpace(dash.Data["unlockbot.json"]) == strings.TrimSpace(string(want)))
	}
}

// TestChartAllOptions: ingress, HPA, ServiceMonitor, existingSecret, a
// claim for the audit files and restricted egress, all wired together.
func TestChartAllOptions(t *testing.T) {
	m := render(t, "--values", "testdata/all-on.yaml")
	d := checkWorkload(t, m)
	c := d.Spec.Template.Spec.Containers[0]
	if len(m.Secrets) != 0 || len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil || c.EnvFrom[0].SecretRef.Name != "unlockbot-secrets" {
		t.Errorf("existingSecret: %d Secrets rendered, envFrom %+v; want none and the existing one", len(m.Secrets), c.EnvFrom)
	}
	if !strings.HasSuffix(c.Image, "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") {
		t.Errorf("image %s, want the pinned digest", c.Image)
	}
	svc := m.Services[0]
	if len(m.Ingresses) != 1 {
		t.Fatalf("%d Ingresses, want 1", len(m.Ingresses))
	}
	var paths []string
	for _, r := range m.Ingresses[0].Spec.Rules {
		for _, p := range r.HTTP.Paths {
			if b := p.Backend.Service; b == nil || b.Name != svc.Name || b.Port.Name != svc.Spec.Ports[0].Name {
				t.Errorf("ingress path %s goes to %+v, want service %s port http", p.Path, p.Backend, svc.Name)
			}
			paths = append(paths, p.Path)
		}
	}
	if !slices.Equal(paths, []string{"/slack", "/api/messages"}) {
		t.Errorf("ingress paths %v: only Slack and the Bot Service call in (not /metrics)", paths)
	}
	if len(m.ServiceMonitors) != 1 {
		t.Fatalf("%d ServiceMonitors, want 1", len(m.ServiceMonitors))
	}
	sm := m.ServiceMonitors[0]
	ssel, _ := metav1Selector(sm.Spec.Selector.MatchLabels)
	ep := sm.Spec.Endpoints
	if !ssel.Matches(labels.Set(svc.Labels)) || len(ep) != 1 || ep[0].Port != "http" || ep[0].Path != "/metrics" ||
		sm.Labels["release"] != "kube-prometheus-stack" || !slices.Equal(sm.Spec.NamespaceSelector.MatchNames, []string{"helpdesk"}) {
		t.Errorf("ServiceMonitor %+v: want /metrics on port http of the service", sm)
	}
	if v := mountAt(t, d.Spec.Template.Spec, c, "/var/lib/unlockbot"); v.PersistentVolumeClaim == nil ||
		v.PersistentVolumeClaim.ClaimName != "unlockbot-audit" || cfgMount(c, v.Name).SubPathExpr != "$(POD_NAME)" {
		t.Errorf("audit claim %+v mount %+v: want one directory per pod", v, cfgMount(c, v.Name))
	}
	np := m.NetworkPolicies[0].Spec
	if !slices.Contains(np.PolicyTypes, "Egress") || len(np.Egress) != 2 || np.Egress[0].Ports[0].Port.IntValue() != 53 || len(np.Ingress[0].From) != 1 {
		t.Errorf("NetworkPolicy %+v: want egress restricted to DNS and the listed rule, ingress from the listed peer", np)
	}
}

// TestChartSecretsStayOutOfConfigMaps renders sentinel secrets and finds
// each in the chart's Secret and in no other manifest, in clear or base64.
func TestChartSecretsStayOutOfConfigMaps(t *testing.T) {
	m := render(t, "--values", "testdata/sentinel.yaml")
	checkWorkload(t, m)
	raw, err := os.ReadFile("testdata/sentinel.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var sentinels []string
	for _, f := range strings.Fields(string(raw)) {
		if strings.Contains(f, "SENTINEL-") {
			sentinels = append(sentinels, f)
		}
	}
	if len(m.Secrets) != 1 || len(sentinels) != 7 {
		t.Fatalf("%d Secrets, %d sentinels; want 1 and 7", len(m.Secrets), len(sentinels))
	}
	var inSecret []string
	for _, v := range m.Secrets[0].Data {
		inSecret = append(inSecret, string(v))
	}
	for _, s := range sentinels {
		if !slices.Contains(inSecret, s) {
			t.Errorf("secret value %q is not in the Secret", s)
		}
	}
	if m.Secrets[0].Data["REDIS_URL"] == nil {
		t.Error("redis.url is not stored as REDIS_URL")
	}
	for _, cm := range m.ConfigMaps {
		var all []string
		for _, v := range cm.Data {
			all = append(all, v)
		}
		for _, v := range cm.BinaryData {
			all = append(all, string(v))
		}
		for _, s := range sentinels {
			for _, v := range all {
				if strings.Contains(v, strings.TrimPrefix(s, "SENTINEL-")) {
					t.Errorf("ConfigMap %s holds a secret value", cm.Name)
				}
			}
		}
	}
	for _, doc := range m.Raw {
		if bytes.Contains(doc, []byte("kind: Secret\n")) {
			continue
		}
		for _, s := range sentinels {
			if bytes.Contains(doc, []byte("SENTINEL-")) || bytes.Contains(doc, []byte(b64(s))) {
				t.Errorf("a non-Secret manifest holds a secret value:\n%.300s", doc)
			}
		}
	}
	c := m.Deployments[0].Spec.Template.Spec.Containers[0]
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil || c.EnvFrom[0].SecretRef.Name != m.Secrets[0].Name {
		t.Errorf("envFrom %+v, want the chart's Secret %s", c.EnvFrom, m.Secrets[0].Name)
	}
}

// TestChartRollsOnChange: a changed config or secret value changes the pod
// template, so the Deployment rolls; an unrelated value does not.
func TestChartRollsOnChange(t *testing.T) {
	ann := func(args ...string) map[string]string {
		return render(t, append([]string{"--values", "testdata/sentinel.yaml"}, args...)...).Deployments[0].Spec.Template.Annotations
	}
	base := ann()
	cfg := ann("--set", "config.log_level=debug")
	sec := ann("--set", "secretEnv.SLACK_BOT_TOKEN=SENTINEL-rotated")
	same := ann("--set", "service.port=8081")
	if base["checksum/config"] == "" || base["checksum/config"] == cfg["checksum/config"] {
		t.Errorf("config change: checksum/config %q → %q", base["checksum/config"], cfg["checksum/config"])
	}
	if base["checksum/secret"] == "" || base["checksum/secret"] == sec["checksum/secret"] || base["checksum/config"] != sec["checksum/config"] {
		t.Errorf("secret change: checksum/secret %q → %q", base["checksum/secret"], sec["checksum/secret"])
	}
	if base["checksum/config"] != same["checksum/config"] || base["checksum/secret"] != same["checksum/secret"] {
		t.Error("a service change rolled the pods")
	}
}

// TestChartRefusesBadValues: the schema and the templates stop mistakes
// before anything reaches the cluster.
func TestChartRefusesBadValues(t *testing.T) {
	for set, why := range map[string]string{
		"bogus=1":                                                "additional properties 'bogus' not allowed",
		"replicaCount=0":                                         "'/replicaCount': minimum",
		"image.pullPolicy=Sometimes":                             "'/image/pullPolicy': value must be one of",
		"config.listen=:9999":                                    "'/config': 'not' failed",
		"config.audit.file=audit.jsonl":                          "must be under /var/lib/unlockbot/",
		"ingress.enabled=true,ingress.hostz=x":                   "additional properties 'hostz' not allowed",
		"secretEnv.bad-name=x":                                   "invalid propertyName 'bad-name'",
		"redis.url=http://not-redis":                             "'/redis/url'",
		"existingSecret=mine,secretEnv.SLACK_BOT_TOKEN=x":        "Set existingSecret or secretEnv/redis.url, not both",
		"redis.url=redis://r:6379,secretEnv.REDIS_URL=redis://r": "Set the Redis URL once",
	} {
		_, err := helm(t, "template", "rel", chartDir, "--set", set)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("helm template --set %s: %v, want a refusal saying %q", set, err, why)
		}
	}
}

// TestDashboardCopy: the chart's dashboard is docs/grafana-dashboard.json
// byte for byte (helm cannot read outside the chart, hence the copy).
func TestDashboardCopy(t *testing.T) {
	a, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(chartDir, "dashboards", "unlockbot.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("charts/unlockbot/dashboards/unlockbot.json differs from docs/grafana-dashboard.json: cp docs/grafana-dashboard.json charts/unlockbot/dashboards/unlockbot.json")
	}
}
