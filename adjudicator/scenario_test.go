package adjudicator_test

import (
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/pgtest"
	"github.com/rxclaims/rxclaims/internal/scenario"
)

// TestScenarios runs the scenario files against the engine in process.
func TestScenarios(t *testing.T) {
	adjudicator.CheckTraceText(t)
	scenario.RunAll(t, func(t *testing.T, cfg *config.Config, dir string, now func() time.Time) scenario.Target {
		e, _ := scenario.NewEngine(t, cfg, dir, now)
		return scenario.EngineTarget(e)
	})
}

// TestScenariosPostgres runs the scenario files against the engine on the
// PostgreSQL store (internal/store/pgstore), each on a database of its own.
func TestScenariosPostgres(t *testing.T) {
	scenario.RunAll(t, func(t *testing.T, cfg *config.Config, _ string, now func() time.Time) scenario.Target {
		return scenario.EngineTarget(scenario.NewEngineOn(t, cfg, pgtest.Store(t), now))
	})
}
