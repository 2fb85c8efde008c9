package deploy_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rxclaims/rxclaims/internal/metrics"
	"github.com/rxclaims/rxclaims/internal/store"
	"github.com/rxclaims/rxclaims/loader"
	"github.com/rxclaims/rxclaims/loader/parse"
	"sigs.k8s.io/yaml"
)

// knownMetrics returns the rxclaims_* metric names the adjudicator's live
// registry exposes (histograms by their base name), with every metric given
// a sample so that labelled families appear.
func knownMetrics(t *testing.T) []string {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.ObserveClaim("B1", "R", []string{"52"}, time.Millisecond)
	m.ObserveFlags("B1", []string{"NO_COST_SHARE"})
	m.ObserveCommit(time.Millisecond)
	m.ConfigLoaded(time.Now())
	metrics.NewAuth(reg)
	m.Denied("/rxclaims.v1.ClaimsService/Bill", "claims-submitter")
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	metrics.RegisterStore(reg, st)
	metrics.RegisterStoreHealth(reg, st)
	load := metrics.NewLoad(reg, func() float64 { return 0 }, 1)
	load.Shed("Bill")
	load.Late("Bill")
	metrics.RegisterIDClock(reg, func() (time.Duration, uint64) { return 0, 0 }, time.Minute)
	l, err := loader.Open(loader.Options{Dir: t.TempDir(), Profiles: &parse.Profiles{}, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), metrics.Namespace+"_") {
			names = append(names, f.GetName())
		}
	}
	return names
}

const (
	rulesFile     = "prometheus/rules.yaml"
	dashboardFile = "grafana/rxclaims-dashboard.json"
)

// ruleFile mirrors the plain Prometheus rule file format.
type ruleFile struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Record      string            `json:"record"`
			Alert       string            `json:"alert"`
			Expr        string            `json:"expr"`
			For         string            `json:"for"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

// panel is the part of a Grafana panel the tests look at. Rows may nest
// panels (collapsed rows keep their children in "panels").
type panel struct {
	ID      int     `json:"id"`
	Title   string  `json:"title"`
	Type    string  `json:"type"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

type dashboard struct {
	Panels []panel `json:"panels"`
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return b
}

// yamlDocuments splits a multi-document YAML file on "\n---\n".
func yamlDocuments(data []byte) []string {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	s = strings.TrimPrefix(s, "---\n")
	return strings.Split(s, "\n---\n")
}

func TestYAMLFilesParse(t *testing.T) {
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no YAML files found under deploy/")
	}
	for _, path := range files {
		docs := 0
		for i, doc := range yamlDocuments(readFile(t, path)) {
			var v any
			if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
				t.Errorf("%s: document %d: %v", path, i, err)
				continue
			}
			if v == nil {
				continue // comment-only or empty document
			}
			docs++
			if strings.Contains(filepath.ToSlash(path), "kubernetes/") {
				m, ok := v.(map[string]any)
				if !ok || m["apiVersion"] == nil || m["kind"] == nil {
					t.Errorf("%s: document %d: missing apiVersion or kind", path, i)
				}
			}
		}
		if docs == 0 {
			t.Errorf("%s: no YAML documents", path)
		}
	}
}

func TestDashboardJSONParses(t *testing.T) {
	var v map[string]any
	if err := json.Unmarshal(readFile(t, dashboardFile), &v); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
}

func loadRules(t *testing.T) ruleFile {
	t.Helper()
	var rf ruleFile
	if err := yaml.UnmarshalStrict(readFile(t, rulesFile), &rf); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	if len(rf.Groups) == 0 {
		t.Fatalf("%s: no rule groups", rulesFile)
	}
	return rf
}

func TestAlertsHaveSeverityAndSummary(t *testing.T) {
	rf := loadRules(t)
	alerts := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Expr == "" {
				t.Errorf("group %s: rule %q%q has no expr", g.Name, r.Alert, r.Record)
			}
			if r.Alert == "" {
				continue
			}
			alerts++
			if r.Labels["severity"] == "" {
				t.Errorf("alert %s: missing severity label", r.Alert)
			}
			if strings.TrimSpace(r.Annotations["summary"]) == "" {
				t.Errorf("alert %s: missing summary annotation", r.Alert)
			}
		}
	}
	if alerts == 0 {
		t.Errorf("%s: no alerts", rulesFile)
	}
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal(readFile(t, dashboardFile), &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// allPanels flattens rows and their nested panels.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

func TestDashboardPanelIDsUnique(t *testing.T) {
	panels := allPanels(loadDashboard(t).Panels)
	if len(panels) == 0 {
		t.Fatal("dashboard has no panels")
	}
	seen := map[int]string{}
	for _, p := range panels {
		if p.ID == 0 {
			t.Errorf("panel %q has no id", p.Title)
			continue
		}
		if prev, ok := seen[p.ID]; ok {
			t.Errorf("panel id %d used by %q and %q", p.ID, prev, p.Title)
		}
		seen[p.ID] = p.Title
	}
}

var metricNameRE = regexp.MustCompile(`rxclaims_[a-z_]+`)

// metricNames returns the rxclaims_* metric names referenced in a PromQL
// expression, with histogram series suffixes removed. Matches that are part
// of a longer identifier, such as the recording rule name
// job:rxclaims_claims:rate5m, are not metric references and are skipped.
func metricNames(expr string) []string {
	isIdent := func(c byte) bool {
		return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	var names []string
	for _, loc := range metricNameRE.FindAllStringIndex(expr, -1) {
		if loc[0] > 0 && isIdent(expr[loc[0]-1]) || loc[1] < len(expr) && isIdent(expr[loc[1]]) {
			continue
		}
		name := expr[loc[0]:loc[1]]
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			name = strings.TrimSuffix(name, suffix)
		}
		names = append(names, name)
	}
	return names
}

func TestReferencedMetricsAreKnown(t *testing.T) {
	known := map[string]bool{}
	for _, m := range knownMetrics(t) {
		known[m] = true
	}
	used := map[string][]string{} // metric -> where
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			for _, m := range metricNames(r.Expr) {
				used[m] = append(used[m], rulesFile+": "+r.Alert+r.Record)
			}
		}
	}
	for _, p := range allPanels(loadDashboard(t).Panels) {
		for _, tg := range p.Targets {
			for _, m := range metricNames(tg.Expr) {
				used[m] = append(used[m], dashboardFile+": "+p.Title)
			}
		}
	}
	if len(used) == 0 {
		t.Fatal("no rxclaims_* metrics referenced by the rules or the dashboard")
	}
	var unknown []string
	for m := range used {
		if !known[m] {
			unknown = append(unknown, m)
		}
	}
	sort.Strings(unknown)
	for _, m := range unknown {
		t.Errorf("unknown metric %s referenced in %s", m, strings.Join(used[m], "; "))
	}
}

var (
	recordedNameRE = regexp.MustCompile(`[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]+`)
	// Quoted label values and range selectors such as [5m] are not series
	// names, even when they contain a colon.
	quotedOrRangeRE = regexp.MustCompile(`"[^"]*"|\[[^\]]*\]`)
)

// TestRecordedSeriesAreDefined catches alerts that reference a misspelled
// recording rule (such an alert would silently never fire).
func TestRecordedSeriesAreDefined(t *testing.T) {
	rf := loadRules(t)
	defined := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				defined[r.Record] = true
			}
		}
	}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			expr := quotedOrRangeRE.ReplaceAllString(r.Expr, "")
			for _, name := range recordedNameRE.FindAllString(expr, -1) {
				if !defined[name] {
					t.Errorf("rule %s%s references undefined recorded series %s", r.Alert, r.Record, name)
				}
			}
		}
	}
}
