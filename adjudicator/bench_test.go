package adjudicator_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/domain"
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
	scenario.BenchBills(b, e, demo.CoveredClaims(cfg, domain.DateOf(now)))
}

// BenchmarkBillEdits is BenchmarkBill with 10 and with 10,000 more Active
// edits on the demo plans (exceptions for other drugs, edits.Synthetic):
// the per-claim cost must grow less than 20 %.
//
//	go test ./adjudicator -run '^$' -bench BillEdits -cpu 2 -benchtime 20000x -count 3
func BenchmarkBillEdits(b *testing.B) {
	for _, n := range []int{10, 10_000} {
		b.Run(fmt.Sprintf("edits=%d", n), func(b *testing.B) {
			cfg := demo.Config()
			for _, p := range cfg.Plans {
				cfg.Edits = append(cfg.Edits, edits.Synthetic(p.ID, n/len(cfg.Plans), domain.MustDate("2026-01-01"))...)
			}
			for i := range cfg.Edits { // IDs are per plan; keep them unique
				cfg.Edits[i].ID = fmt.Sprintf("%s-%d", cfg.Edits[i].ID, i)
			}
			now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
			e, _ := scenario.NewEngine(b, cfg, b.TempDir(), func() time.Time { return now })
			scenario.BenchBills(b, e, demo.CoveredClaims(cfg, domain.DateOf(now)))
		})
	}
}
