package charttest

import (
	"bytes"
	"fmt"
	"regexp"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Manifests is a rendered chart, decoded into the Kubernetes API types.
type Manifests struct {
	Deployments     []*appsv1.Deployment
	Services        []*corev1.Service
	ConfigMaps      []*corev1.ConfigMap
	Secrets         []*corev1.Secret
	ServiceAccounts []*corev1.ServiceAccount
	Ingresses       []*networkingv1.Ingress
	NetworkPolicies []*networkingv1.NetworkPolicy
	PDBs            []*policyv1.PodDisruptionBudget
	HPAs            []*autoscalingv2.HorizontalPodAutoscaler
	ServiceMonitors []*monitoringv1.ServiceMonitor
	Raw             [][]byte // every document as rendered
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// Decode splits `helm template` output and decodes every document
// strictly: an unknown field (a typo, a field at the wrong level) or an
// unknown kind is an error, as the API server would refuse it.
func Decode(out []byte) (*Manifests, error) {
	m := &Manifests{}
	for _, doc := range docSep.Split(string(out), -1) {
		if len(bytes.TrimSpace(stripComments([]byte(doc)))) == 0 {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			return nil, fmt.Errorf("manifest: %w\n%s", err, doc)
		}
		var obj any
		switch tm.APIVersion + "/" + tm.Kind {
		case "apps/v1/Deployment":
			obj = add(&m.Deployments)
		case "v1/Service":
			obj = add(&m.Services)
		case "v1/ConfigMap":
			obj = add(&m.ConfigMaps)
		case "v1/Secret":
			obj = add(&m.Secrets)
		case "v1/ServiceAccount":
			obj = add(&m.ServiceAccounts)
		case "networking.k8s.io/v1/Ingress":
			obj = add(&m.Ingresses)
		case "networking.k8s.io/v1/NetworkPolicy":
			obj = add(&m.NetworkPolicies)
		case "policy/v1/PodDisruptionBudget":
			obj = add(&m.PDBs)
		case "autoscaling/v2/HorizontalPodAutoscaler":
			obj = add(&m.HPAs)
		case "monitoring.coreos.com/v1/ServiceMonitor":
			obj = add(&m.ServiceMonitors)
		default:
			return nil, fmt.Errorf("manifest: unexpected kind %s %s", tm.APIVersion, tm.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			return nil, fmt.Errorf("%s: %w\n%s", tm.Kind, err, doc)
		}
		m.Raw = append(m.Raw, []byte(doc))
	}
	return m, nil
}

// add appends a new zero object to list and returns it for decoding.
func add[T any](list *[]*T) *T {
	v := new(T)
	*list = append(*list, v)
	return v
}

func stripComments(b []byte) []byte {
	return regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAll(b, nil)
}
