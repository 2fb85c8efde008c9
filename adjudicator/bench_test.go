package adjudicator_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/scenario"
)

// BenchmarkBill measures the engine alone with durable (synced) commits on
// a real Pebble store: paid claims spread over the demo members, 64 in
// flight per CPU so Pebble's group commit can batch the syncs.
//
//	go test ./adjudicator -run '^$' -bench Bill -cpu 1,2 -benchtime 20000x
func BenchmarkBill(b *testing.B) {
	cfg := demo.Config()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	e, _ := scenario.NewEngine(b, cfg, b.TempDir(), func() time.Time { return now })
	claims := demo.CoveredClaims(cfg, edits.DateOf(now))
	var seq atomic.Int64
	var paid atomic.Int64
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			c := *claims[int(n)%len(claims)]
			c.RxNumber = fmt.Sprintf("%012d", n)
			r, err := e.Bill(context.Background(), &c)
			if err != nil {
				b.Fatal(err)
			}
			if r.Status == adjudicator.Paid {
				paid.Add(1)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "claims/s")
	if paid.Load() < int64(b.N)*9/10 {
		b.Fatalf("only %d of %d claims paid: the benchmark would measure rejects", paid.Load(), b.N)
	}
}
