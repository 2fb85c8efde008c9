package scenario

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/rxclaims/rxclaims/adjudicator"
)

// Biller is anything that bills claims: the engine or a gRPC client.
type Biller interface {
	Bill(ctx context.Context, c *adjudicator.Claim) (*adjudicator.Response, error)
}

// BenchBills bills b.N copies of the templates, each with its own Rx
// number, 64 in flight whatever GOMAXPROCS is, and reports claims/s. It
// fails if fewer than 90 % are paid, so it never measures rejects.
func BenchBills(b *testing.B, to Biller, templates []*adjudicator.Claim) {
	var seq, paid atomic.Int64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			c := *templates[int(n)%len(templates)]
			c.RxNumber = strconv.FormatInt(n, 10)
			r, err := to.Bill(context.Background(), &c)
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
