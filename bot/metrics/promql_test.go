package metrics_test

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// metricNames returns the metric names a PromQL expression selects: what
// is left once strings, label matchers, ranges and the label lists of
// by/without/on/ignoring/group_* are cut out, minus functions (a name
// followed by "("), keywords, numbers and Grafana variables. Good enough
// for the dashboard's expressions; not a PromQL parser.
func metricNames(expr string) []string {
	for _, re := range []string{
		"\"(?:[^\"\\\\]|\\\\.)*\"", `'(?:[^'\\]|\\.)*'`, "`[^`]*`", // strings
		`\{[^}]*\}`, `\[[^\]]*\]`, // label matchers, ranges and subqueries
		`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`,
		`\boffset\s+-?\S+`, `@\s*\S+`,
	} {
		expr = regexp.MustCompile(re).ReplaceAllString(expr, " ")
	}
	keywords := map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true,
		"group_right": true, "bool": true, "and": true, "or": true, "unless": true, "offset": true, "inf": true, "nan": true}
	var out []string
	tok := regexp.MustCompile(`\$?[a-zA-Z_:][a-zA-Z0-9_:]*|[0-9][0-9.]*(?:[eE][-+]?[0-9]+)?|.`)
	locs := tok.FindAllStringIndex(expr, -1)
	for i, l := range locs {
		t := expr[l[0]:l[1]]
		if !regexp.MustCompile(`^[a-zA-Z_:]`).MatchString(t) || keywords[strings.ToLower(t)] {
			continue
		}
		j := i + 1
		for j < len(locs) && strings.TrimSpace(expr[locs[j][0]:locs[j][1]]) == "" {
			j++
		}
		if j < len(locs) && expr[locs[j][0]:locs[j][1]] == "(" {
			continue // a function or an aggregation
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// unknownSeries returns the names that no gathered family provides: a
// name is a family, or a histogram's _bucket/_sum/_count, or a summary's
// _sum/_count.
func unknownSeries(names []string, fams map[string]*dto.MetricFamily) []string {
	var bad []string
	for _, n := range names {
		if fams[n] != nil {
			continue
		}
		ok := false
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			base, cut := strings.CutSuffix(n, suf)
			f := fams[base]
			if !cut || f == nil {
				continue
			}
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM:
				ok = true
			case dto.MetricType_SUMMARY:
				ok = suf != "_bucket"
			}
		}
		if !ok {
			bad = append(bad, n)
		}
	}
	return bad
}

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`histogram_quantile(0.95, sum by (le, step) (rate(unlockbot_reset_step_seconds_bucket[$__rate_interval])))`:       {"unlockbot_reset_step_seconds_bucket"},
		`sum(increase(foo_total{a="b}", c=~"x|y(z)"}[$__range])) / on (instance) group_left (version) bar_info offset 5m`: {"bar_info", "foo_total"},
		`1e3 * baz + 0.5 - Inf`: {"baz"},
		`max by (sink) (pending) > bool 0 and without_total unless sum without (le) (z_count)`: {"pending", "without_total", "z_count"},
		`sum by (step) (rate(a_sum[5m])) / sum by (step) (rate(a_count[5m]))`:                  {"a_count", "a_sum"},
		`rate(x{job="$job"}[5m:1m] @ 1609746000)`:                                              {"x"},
	} {
		if got := metricNames(expr); !slices.Equal(got, want) {
			t.Errorf("metricNames(%s) = %v, want %v", expr, got, want)
		}
	}
}

func TestUnknownSeries(t *testing.T) {
	h, c := dto.MetricType_HISTOGRAM, dto.MetricType_COUNTER
	fams := map[string]*dto.MetricFamily{"h_seconds": {Type: &h}, "c_total": {Type: &c}}
	got := unknownSeries([]string{"h_seconds_bucket", "h_seconds_sum", "h_seconds", "c_total", "c_total_bucket", "c_total_sum", "nope"}, fams)
	if want := []string{"c_total_bucket", "c_total_sum", "nope"}; !slices.Equal(got, want) {
		t.Errorf("unknownSeries = %v, want %v", got, want)
	}
}
