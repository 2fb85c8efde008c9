package adjudicator_test

import (
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/scenario"
)

// BenchmarkBill measures the engine alone with durable (synced) commits on
// a real Pebble store: paid claims spread over the demo members, 64 in
// flight so Pebble's group commit can batch the syncs.
//
//	go test ./adjudicator -run '^$' -bench Bill -cpu 1,2 -benchtime 20000x
func BenchmarkBill(b *testing.B) {
	cfg := demo.Config()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	e, _ := scenario.NewEngine(b, cfg, b.TempDir(), func() time.Time { return now })
	scenario.BenchBills(b, e, demo.CoveredClaims(cfg, edits.DateOf(now)))
}
