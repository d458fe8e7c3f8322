package metrics_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"testing"
)

const dashboardFile = "../../docs/grafana-dashboard.json"

type panel struct {
	ID      int     `json:"id"`
	Type    string  `json:"type"`
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"` // a collapsed row's
	Targets []struct {
		Expr       string `json:"expr"`
		Datasource struct {
			UID string `json:"uid"`
		} `json:"datasource"`
	} `json:"targets"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
}

type dashboard struct {
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

func flatten(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, flatten(p.Panels)...)
	}
	return out
}

// TestDashboardNamesRealSeries: every series a panel queries is one this
// package registers (gathered after a sample run), so a renamed metric or
// a typo in a panel fails here, not on an operator's empty graph.
func TestDashboardNamesRealSeries(t *testing.T) {
	d := loadDashboard(t)
	r := runFlow(t)
	fams := gather(t, r.reg)
	exprs := 0
	for _, p := range flatten(d.Panels) {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		if p.Datasource == nil || p.Datasource.UID != "${DS_PROMETHEUS}" {
			t.Errorf("panel %q does not use the ${DS_PROMETHEUS} data source", p.Title)
		}
		for _, tg := range p.Targets {
			exprs++
			names := metricNames(tg.Expr)
			if len(names) == 0 {
				t.Errorf("panel %q: no series found in %s", p.Title, tg.Expr)
			}
			for _, bad := range unknownSeries(names, fams) {
				t.Errorf("panel %q queries %s, which unlockbot does not export", p.Title, bad)
			}
		}
	}
	if exprs < 20 {
		t.Errorf("only %d queries in the dashboard", exprs)
	}
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
		if v.Type != "query" {
			continue
		}
		m := regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`).FindStringSubmatch(v.Definition)
		if m == nil {
			t.Errorf("variable %s: no series in %q", v.Name, v.Definition)
			continue
		}
		for _, bad := range unknownSeries([]string{m[1]}, fams) {
			t.Errorf("variable %s queries %s, which unlockbot does not export", v.Name, bad)
		}
	}
	for _, want := range []string{"DS_PROMETHEUS", "org"} {
		if !slices.Contains(vars, want) {
			t.Errorf("the dashboard has no %s variable", want)
		}
	}
}

// TestDashboardCoversEverySeries: each unlockbot series is on some panel.
func TestDashboardCoversEverySeries(t *testing.T) {
	d := loadDashboard(t)
	used := map[string]bool{}
	for _, p := range flatten(d.Panels) {
		for _, tg := range p.Targets {
			for _, n := range metricNames(tg.Expr) {
				used[regexp.MustCompile(`_(bucket|sum|count)$`).ReplaceAllString(n, "")] = true
			}
		}
	}
	r := runFlow(t)
	for name := range gather(t, r.reg) {
		if regexp.MustCompile(`^unlockbot_`).MatchString(name) && !used[name] {
			t.Errorf("%s is on no dashboard panel", name)
		}
	}
}
