package deploy_test

import (
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// Figures measured by the bench suite (bench/README.md) that the
// deployment's sizing rests on.
const (
	// measuredRSS1M is the adjudicator's resident memory at 1M members
	// (2026-11-22, 4.2 GiB under load).
	measuredRSS1M = 4.2 * (1 << 30)
	// measuredP99 is the claim p99 at 1,000 claims/s open loop measured
	// from the client on the bench machine while it was busy (33-35 ms,
	// bench/README.md, 2026-11-22); the engine's own p99, which the alert
	// reads, is within it.
	measuredP99 = 0.035
)

// TestAdjudicatorMemoryFitsMeasuredPeak: the adjudicator's memory limit
// holds the resident memory measured at 1M members with headroom, requests
// equal limits (Guaranteed QoS), and GOMEMLIMIT sits below the limit.
func TestAdjudicatorMemoryFitsMeasuredPeak(t *testing.T) {
	var c container
	for _, doc := range yamlDocuments(readFile(t, "kubernetes/statefulset.yaml")) {
		var obj struct {
			Kind string
			Spec struct {
				Template struct {
					Spec struct {
						Containers []container
					}
				}
			}
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil || obj.Kind != "StatefulSet" {
			continue
		}
		for _, ct := range obj.Spec.Template.Spec.Containers {
			if ct.Name == "adjudicator" {
				c = ct
			}
		}
	}
	if c.Name == "" {
		t.Fatal("kubernetes/statefulset.yaml: no StatefulSet with an adjudicator container")
	}
	limit := bytesOf(t, c.Resources.Limits["memory"])
	if req := bytesOf(t, c.Resources.Requests["memory"]); req != limit {
		t.Errorf("memory request %v != limit %v", req, limit)
	}
	if limit < 1.2*measuredRSS1M {
		t.Errorf("memory limit %s is below the measured 1M-member RSS (4.2 GiB) with 20 %% headroom", c.Resources.Limits["memory"])
	}
	var gomemlimit float64
	for _, e := range c.Env {
		if e.Name == "GOMEMLIMIT" {
			gomemlimit = bytesOf(t, strings.TrimSuffix(e.Value, "B"))
		}
	}
	if !(gomemlimit > measuredRSS1M && gomemlimit <= limit-512<<20) {
		t.Errorf("GOMEMLIMIT %v: want above the measured RSS and at least 512 MiB below the limit %v", gomemlimit, limit)
	}
}

// TestLatencyAlertAboveMeasuredP99: the p99 adjudication alert's threshold
// is above the p99 measured at 1,000 claims/s, so it does not fire on a
// healthy service, and on a histogram bucket boundary, so it is exact.
func TestLatencyAlertAboveMeasuredP99(t *testing.T) {
	rules := loadRules(t)
	found := false
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert != "RxclaimsAdjudicationLatencyHigh" {
				continue
			}
			found = true
			_, v, ok := strings.Cut(r.Expr, "> ")
			threshold, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if !ok || err != nil {
				t.Fatalf("expression %q: no threshold", r.Expr)
			}
			if threshold < 1.25*measuredP99 {
				t.Errorf("threshold %v s is within 1.25 × the measured p99 (%v s): it would fire on a healthy service", threshold, measuredP99)
			}
			if !strings.Contains(" .0001 .00025 .0005 .001 .002 .005 .01 .025 .05 .1 .25 .5 1 ", " "+strings.TrimPrefix(strconv.FormatFloat(threshold, 'f', -1, 64), "0")+" ") {
				t.Errorf("threshold %v s is not a bucket boundary of rxclaims_adjudication_duration_seconds", threshold)
			}
		}
	}
	if !found {
		t.Fatal("no RxclaimsAdjudicationLatencyHigh alert")
	}
}

// container is what the sizing tests read of a pod's container.
type container struct {
	Name      string
	Env       []struct{ Name, Value string }
	Resources struct{ Requests, Limits map[string]string }
}

// bytesOf reads a Kubernetes binary quantity (512Mi, 6Gi).
func bytesOf(t *testing.T, q string) float64 {
	t.Helper()
	for suffix, mult := range map[string]float64{"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30} {
		if n, ok := strings.CutSuffix(q, suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil {
				t.Fatalf("quantity %q: %v", q, err)
			}
			return v * mult
		}
	}
	t.Fatalf("quantity %q: want Ki, Mi or Gi", q)
	return 0
}
