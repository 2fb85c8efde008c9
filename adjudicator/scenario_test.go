package adjudicator_test

import (
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/scenario"
)

// TestScenarios runs the scenario files against the engine in process.
func TestScenarios(t *testing.T) {
	scenario.RunAll(t, func(t *testing.T, cfg *adjudicator.Config, dir string, now func() time.Time) scenario.Target {
		e, _ := scenario.NewEngine(t, cfg, dir, now)
		return e
	})
}
