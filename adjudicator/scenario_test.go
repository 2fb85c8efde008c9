package adjudicator_test

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/pgtest"
	"github.com/rxclaims/rxclaims/internal/scenario"
	"github.com/rxclaims/rxclaims/internal/store"
	"github.com/rxclaims/rxclaims/internal/store/records"
)

// TestScenarios runs the scenario files against the engine in process.
// Every step name and format of the traces its stored records keep must
// be in the records' trace dictionary (TestTraceDictionary).
func TestScenarios(t *testing.T) {
	adjudicator.CheckTraceText(t)
	seen := traceStringsOf(t)
	scenario.RunAll(t, func(t *testing.T, cfg *config.Config, dir string, now func() time.Time) scenario.Target {
		e, st := scenario.NewEngine(t, cfg, dir, now)
		seen.collect(t, st) // before the store closes
		return scenario.EngineTarget(e)
	})
}

// traceStrings gathers the step names and formats of stored traces.
type traceStrings struct {
	mu  sync.Mutex
	set map[string]bool
}

// traceStringsOf checks, when t and its subtests end, that every step
// name and format gathered, and every step name the engine may give, is
// in the trace dictionary: a record would still store one that is not,
// as text, but every claim would pay its bytes again.
func traceStringsOf(t *testing.T) *traceStrings {
	s := &traceStrings{set: map[string]bool{}}
	for _, name := range adjudicator.TraceStepNames() {
		s.set[name] = true
	}
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		var missing []string
		for v := range s.set {
			if !records.InTraceDictionary(v) {
				missing = append(missing, v)
			}
		}
		sort.Strings(missing)
		for _, v := range missing {
			t.Errorf("trace step or format %q is not in the trace dictionary: append it to traceDictionary "+
				"(internal/store/records/tracedict.go), then rewrite its golden file (go test ./internal/store/records -rewrite)", v)
		}
	})
	return s
}

// collect gathers, when t ends, the traces of every claim st stores.
func (s *traceStrings) collect(t *testing.T, st *store.Store) {
	t.Cleanup(func() {
		err := st.ForEachClaim(func(r *adjudicator.ClaimRecord) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			for _, resp := range []*adjudicator.Response{r.Response, reversalResponse(r)} {
				if resp == nil {
					continue
				}
				for _, step := range resp.Trace {
					s.set[step.Step] = true
					if step.Format != "" {
						s.set[step.Format] = true
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
}

func reversalResponse(r *adjudicator.ClaimRecord) *adjudicator.Response {
	if r.Reversal == nil {
		return nil
	}
	return r.Reversal.Response
}

// TestScenariosPostgres runs the scenario files against the engine on the
// PostgreSQL store (internal/store/pgstore), each on a database of its own.
func TestScenariosPostgres(t *testing.T) {
	scenario.RunAll(t, func(t *testing.T, cfg *config.Config, _ string, now func() time.Time) scenario.Target {
		return scenario.EngineTarget(scenario.NewEngineOn(t, cfg, pgtest.Store(t), now))
	})
}
