package adjudicator_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
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
	plan, n := billDays(ctx, b, e, first, 60, 600000)
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

// BenchmarkRetroClaimLatency measures what a large retro job running in
// the background costs the claims. It bills every covered demo member a
// claim a day for 20 days on a Pebble store (fsync on), then bills claims
// of later days at a steady 500/s (open loop: each claim starts on its
// tick, whatever the others do) for 4 s with no retro job, then for 4 s
// more with a configuration retro over one plan's 20 days running, as a
// server's runner runs it. It reports each phase's p50 and p99 claim
// latency and their ratios (retro/none), the retro job's size and the
// share of it done while the claims ran. Run it with -benchtime 1x -count 3.
func BenchmarkRetroClaimLatency(b *testing.B) {
	const (
		rate   = 500 // claims a second
		window = 4 * time.Second
	)
	ctx := context.Background()
	first := domain.MustDate("2026-03-01")
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for b.Loop() {
		e, _ := scenario.NewEngine(b, demo.Config(), b.TempDir(), func() time.Time { return now })
		plan, _ := billDays(ctx, b, e, first, 20, 700000)
		// Later claims, each day's once: no claim repeats one billed before.
		var later []*adjudicator.Claim
		for d := 0; len(later) < 2*rate*int(window/time.Second); d++ {
			for _, c := range demo.CoveredClaims(demo.Config(), domain.MustDate("2026-09-01").AddDays(d)) {
				c.RxNumber = fmt.Sprint(800000 + len(later))
				later = append(later, c)
			}
		}
		perPhase := rate * int(window/time.Second)
		base, err := paceClaims(ctx, e, later[:perPhase], rate)
		if err != nil {
			b.Fatal(err)
		}
		req := adjudicator.RetroRequest{JobID: "LATENCY", Kind: adjudicator.RetroConfiguration, PlanID: plan, From: first, To: first.AddDays(19)}
		if _, err := e.SubmitRetro(ctx, req, nil); err != nil {
			b.Fatal(err)
		}
		rctx, stop := context.WithCancel(ctx)
		ran := make(chan error, 1)
		go func() { ran <- e.RunRetroJob(rctx, req.JobID) }()
		withRetro, err := paceClaims(ctx, e, later[perPhase:2*perPhase], rate)
		if err != nil {
			b.Fatal(err)
		}
		stop()
		if err := <-ran; err != nil && !errors.Is(err, context.Canceled) {
			b.Fatal(err)
		}
		rep, err := e.RetroReport(ctx, req.JobID)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(rep.Job.Claims)), "retro-claims")
		b.ReportMetric(float64(rep.Done+rep.Skipped)/float64(len(rep.Job.Claims)), "retro-share-done")
		b.ReportMetric(ms(base.p50), "p50-none-ms")
		b.ReportMetric(ms(base.p99), "p99-none-ms")
		b.ReportMetric(ms(withRetro.p50), "p50-retro-ms")
		b.ReportMetric(ms(withRetro.p99), "p99-retro-ms")
		b.ReportMetric(ms(withRetro.p50)/ms(base.p50), "p50-retro/none")
		b.ReportMetric(ms(withRetro.p99)/ms(base.p99), "p99-retro/none")
		b.ReportMetric(base.rate, "claims/s-none")
		b.ReportMetric(withRetro.rate, "claims/s-retro")
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

type latencies struct {
	p50, p99 time.Duration
	rate     float64 // claims started a second, as achieved
}

// paceClaims bills claims at rate a second, each started on its own tick
// without waiting for the others, and returns their latencies.
func paceClaims(ctx context.Context, e *adjudicator.Engine, claims []*adjudicator.Claim, rate int) (latencies, error) {
	took := make([]time.Duration, len(claims))
	errs := make(chan error, len(claims))
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	start := time.Now()
	for i, c := range claims {
		<-tick.C
		wg.Go(func() {
			t0 := time.Now()
			if _, err := e.Bill(ctx, c); err != nil {
				errs <- err
			}
			took[i] = time.Since(t0)
		})
	}
	elapsed := time.Since(start)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return latencies{}, err
	}
	slices.Sort(took)
	return latencies{p50: took[len(took)/2], p99: took[len(took)*99/100], rate: float64(len(claims)) / elapsed.Seconds()}, nil
}

// billDays bills every covered demo member a claim a day for days days
// from first, numbering prescriptions from rx, and returns the plan of the
// first paid claim and the number of claims billed.
func billDays(ctx context.Context, b *testing.B, e *adjudicator.Engine, first domain.Date, days, rx int) (plan string, n int) {
	b.Helper()
	for d := range days {
		for _, c := range demo.CoveredClaims(demo.Config(), first.AddDays(d)) {
			c.RxNumber = fmt.Sprint(rx + n)
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
	return plan, n
}
