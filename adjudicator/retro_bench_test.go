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

// BenchmarkRetroSelect bills every covered demo member a claim a day for
// 60 days on a Pebble store, then selects a configuration retro's claims
// for one plan over one week: from the history index (what a job does)
// and, as the baseline, by reading every claim record (what it did). It
// reports scan/history, the baseline's cost as a multiple of the
// selection's.
func BenchmarkRetroSelect(b *testing.B) {
	ctx := context.Background()
	first := domain.MustDate("2026-03-01")
	now := time.Date(2026, 5, 15, 12, 0, 0, 0, time.UTC)
	e, _ := scenario.NewEngine(b, demo.Config(), b.TempDir(), func() time.Time { return now })
	plan, n := "", 0
	for d := range 60 {
		for _, c := range demo.CoveredClaims(demo.Config(), first.AddDays(d)) {
			c.RxNumber = fmt.Sprint(600000 + n)
			n++
			r, err := e.Bill(ctx, c)
			if err != nil {
				b.Fatal(err)
			}
			if r.Status == adjudicator.Paid && plan == "" {
				plan = r.PlanID
			}
		}
	}
	req := adjudicator.RetroRequest{JobID: "SELECT", Kind: adjudicator.RetroConfiguration, PlanID: plan,
		From: first.AddDays(30), To: first.AddDays(36)}
	var history, scan time.Duration
	selected := 0
	for b.Loop() {
		start := time.Now()
		h, err := e.RetroSelect(ctx, req, true)
		if err != nil {
			b.Fatal(err)
		}
		history += time.Since(start)
		start = time.Now()
		s, err := e.RetroSelect(ctx, req, false)
		if err != nil {
			b.Fatal(err)
		}
		scan += time.Since(start)
		if len(h) != len(s) || len(h) == 0 {
			b.Fatalf("selected %d from the history, %d by the scan", len(h), len(s))
		}
		selected = len(h)
	}
	b.ReportMetric(float64(n), "claims")
	b.ReportMetric(float64(selected), "selected")
	b.ReportMetric(scan.Seconds()/history.Seconds(), "scan/history")
}
