package charttest

import (
	"path"
	"slices"
	"strconv"
	"testing"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// checkWorkload holds what every rendering must satisfy: at least two
// replicas kept through disruptions, probes on the endpoints the bot
// serves, a pod that cannot gain privileges or write its image, resources,
// and the config and audit volumes where the config says they are.
func checkWorkload(t *testing.T, m *Manifests) *appsv1.Deployment {
	t.Helper()
	if len(m.Deployments) != 1 {
		t.Fatalf("%d Deployments, want 1", len(m.Deployments))
	}
	d := m.Deployments[0]
	pod := d.Spec.Template
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || !sel.Matches(labels.Set(pod.Labels)) {
		t.Fatalf("Deployment selector %v does not select its pods %v (%v)", d.Spec.Selector, pod.Labels, err)
	}

	switch {
	case len(m.HPAs) == 1:
		h := m.HPAs[0]
		if d.Spec.Replicas != nil {
			t.Errorf("Deployment sets replicas %d beside an HPA: every upgrade would reset the HPA's count", *d.Spec.Replicas)
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || h.Spec.ScaleTargetRef.Kind != "Deployment" || h.Spec.ScaleTargetRef.Name != d.Name {
			t.Errorf("HPA %+v: want minReplicas ≥ 2 scaling Deployment %s", h.Spec, d.Name)
		}
	case d.Spec.Replicas == nil || *d.Spec.Replicas < 2:
		t.Errorf("Deployment replicas %v, want ≥ 2", d.Spec.Replicas)
	}
	if len(m.PDBs) != 1 {
		t.Fatalf("%d PodDisruptionBudgets, want 1", len(m.PDBs))
	}
	pdb := m.PDBs[0]
	psel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if pdb.Spec.MinAvailable == nil || *pdb.Spec.MinAvailable != intstr.FromInt32(1) || err != nil || !psel.Matches(labels.Set(pod.Labels)) {
		t.Errorf("PDB %+v: want minAvailable 1 over the Deployment's pods", pdb.Spec)
	}

	ps := pod.Spec
	if ps.SecurityContext == nil {
		t.Fatal("pod has no securityContext")
	}
	psc := ps.SecurityContext
	if !isTrue(psc.RunAsNonRoot) || !is(psc.RunAsUser, 65532) || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v: want runAsNonRoot, runAsUser 65532, seccomp RuntimeDefault", psc)
	}
	if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
		t.Error("pod mounts a service account token; the bot never calls the Kubernetes API")
	}
	if len(ps.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(ps.Containers))
	}
	c := ps.Containers[0]
	sc := c.SecurityContext
	if sc == nil {
		t.Fatal("container has no securityContext")
	}
	if !isTrue(sc.RunAsNonRoot) || !is(sc.RunAsUser, 65532) || !isTrue(sc.ReadOnlyRootFilesystem) ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || isTrue(sc.Privileged) ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("container securityContext %+v: want non-root 65532, read-only root, no privilege escalation, ALL dropped, seccomp RuntimeDefault", sc)
	}

	port := containerPort(t, c, "http")
	for _, p := range []struct {
		name, path string
		probe      *corev1.Probe
	}{{"liveness", "/healthz", c.LivenessProbe}, {"readiness", "/readyz", c.ReadinessProbe}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("no %s HTTP probe", p.name)
			continue
		}
		g := p.probe.HTTPGet
		if g.Path != p.path || (g.Port != intstr.FromString("http") && g.Port != intstr.FromInt32(port)) {
			t.Errorf("%s probe %s on %s, want %s on the http port", p.name, g.Path, g.Port.String(), p.path)
		}
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
	}

	// The config file: UNLOCKBOT_CONFIG points into a read-only ConfigMap mount.
	cfgPath := envValue(c, "UNLOCKBOT_CONFIG")
	cfgVol := mountAt(t, ps, c, path.Dir(cfgPath))
	if cfgVol.ConfigMap == nil || !cfgMount(c, cfgVol.Name).ReadOnly {
		t.Fatalf("%s is not a read-only ConfigMap mount: %+v", path.Dir(cfgPath), cfgVol)
	}
	cm := configMap(t, m, cfgVol.ConfigMap.Name)
	var cfg struct {
		Listen      string `yaml:"listen"`
		RedisURLEnv string `yaml:"redis_url_env"`
		Audit       struct {
			File string `yaml:"file"`
		} `yaml:"audit"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data[path.Base(cfgPath)]), &cfg); err != nil {
		t.Fatalf("config in ConfigMap %s: %v", cm.Name, err)
	}
	if cfg.Listen != ":"+itoa(port) {
		t.Errorf("config listen %q, container port %d", cfg.Listen, port)
	}
	// The audit file: on a writable volume, since the root is read-only.
	auditVol := mountAt(t, ps, c, path.Dir(cfg.Audit.File))
	if (auditVol.EmptyDir == nil) == (auditVol.PersistentVolumeClaim == nil) || cfgMount(c, auditVol.Name).ReadOnly {
		t.Errorf("audit file %s: volume %+v, want a writable emptyDir or claim", cfg.Audit.File, auditVol)
	}

	if len(m.Services) != 1 || !labels.SelectorFromSet(m.Services[0].Spec.Selector).Matches(labels.Set(pod.Labels)) ||
		len(m.Services[0].Spec.Ports) != 1 || m.Services[0].Spec.Ports[0].TargetPort != intstr.FromString("http") {
		t.Errorf("Services %+v: want one, selecting the pods, to port http", m.Services)
	}
	return d
}

func isTrue(b *bool) bool          { return b != nil && *b }
func is(p *int64, want int64) bool { return p != nil && *p == want }
func itoa(n int32) string          { return strconv.Itoa(int(n)) }

func containerPort(t *testing.T, c corev1.Container, name string) int32 {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Fatalf("container has no port %q", name)
	return 0
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func cfgMount(c corev1.Container, vol string) corev1.VolumeMount {
	for _, m := range c.VolumeMounts {
		if m.Name == vol {
			return m
		}
	}
	return corev1.VolumeMount{}
}

// mountAt is the volume mounted at dir.
func mountAt(t *testing.T, ps corev1.PodSpec, c corev1.Container, dir string) corev1.Volume {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if m.MountPath != dir {
			continue
		}
		for _, v := range ps.Volumes {
			if v.Name == m.Name {
				return v
			}
		}
		t.Fatalf("mount %s names no volume %q", dir, m.Name)
	}
	t.Fatalf("nothing mounted at %s (mounts %+v)", dir, c.VolumeMounts)
	return corev1.Volume{}
}

func configMap(t *testing.T, m *Manifests, name string) *corev1.ConfigMap {
	t.Helper()
	for _, cm := range m.ConfigMaps {
		if cm.Name == name {
			return cm
		}
	}
	t.Fatalf("no ConfigMap %q rendered", name)
	return nil
}
