package charttest

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestChartRedisCluster: a config.redis block reaches the pod as given,
// with no redis_url_env added beside it (the bot refuses both), and its
// password only in the Secret.
func TestChartRedisCluster(t *testing.T) {
	m := render(t, "--values", "testdata/redis-cluster.yaml")
	checkWorkload(t, m)
	raw := configMap(t, m, "rel-unlockbot").Data["config.yaml"]
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	r, _ := cfg["redis"].(map[string]any)
	if r["mode"] != "cluster" || r["password_env"] != "REDIS_PASSWORD" || len(r["addrs"].([]any)) != 3 {
		t.Errorf("redis block rendered as %v", r)
	}
	for _, k := range []string{"redis_url", "redis_url_env", "redis_url_file"} {
		if _, ok := cfg[k]; ok {
			t.Errorf("the chart added %s beside the redis block", k)
		}
	}
	if strings.Contains(raw, "redis-cluster-password-0123") {
		t.Error("the Redis password is in the ConfigMap")
	}
	if len(m.Secrets) != 1 || string(m.Secrets[0].Data["REDIS_PASSWORD"]) != "redis-cluster-password-0123" {
		t.Errorf("the password is not in the chart's Secret")
	}
}
