package adjudicator_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/scenario"
)

// BenchmarkRetro bills one claim for each covered demo member on a fresh
// Pebble store, then re-adjudicates them all with configuration retro
// jobs (one per plan), and reports the cost of a claim's retro (its
// reversal and its re-bill, two durable commits) as a ratio to the cost of
// billing it (one): retro/bill.
func BenchmarkRetro(b *testing.B) {
	ctx := context.Background()
	day := domain.MustDate("2026-06-01")
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	var bill, retro time.Duration
	claims := 0
	for i := 0; b.Loop(); i++ {
		e, _ := scenario.NewEngine(b, demo.Config(), b.TempDir(), func() time.Time { return now })
		plans := map[string]bool{}
		start := time.Now()
		for n, c := range demo.CoveredClaims(demo.Config(), day) {
			c.RxNumber = fmt.Sprint(500000 + n)
			r, err := e.Bill(ctx, c)
			if err != nil || r.Status != adjudicator.Paid {
				b.Fatalf("bill: %v %+v", err, r)
			}
			plans[r.PlanID] = true
			claims++
		}
		bill += time.Since(start)
		start = time.Now()
		for p := range plans {
			rep, err := e.StartRetro(ctx, adjudicator.RetroRequest{JobID: fmt.Sprintf("B-%d-%s", i, p), Kind: adjudicator.RetroConfiguration,
				PlanID: p, From: day, To: day}, nil)
			if err != nil || !rep.Finished {
				b.Fatalf("retro %s: %v %+v", p, err, rep)
			}
		}
		retro += time.Since(start)
	}
	b.ReportMetric(float64(claims)/bill.Seconds(), "bills/s")
	b.ReportMetric(float64(claims)/retro.Seconds(), "retros/s")
	b.ReportMetric(retro.Seconds()/bill.Seconds(), "retro/bill")
}
