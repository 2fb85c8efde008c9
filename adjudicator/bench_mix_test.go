package adjudicator_test

import (
	"context"
	"runtime/debug"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/bench"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/store"
	"github.com/rxclaims/rxclaims/internal/wire"
)

// BenchmarkBillMix measures the engine on the bench suite's claim mix
// (bench/mix.go: new fills, refills, refills too soon against the
// population's refill-too-soon edit, reversals, rebills, duplicates and
// rejects) over a population and a year of history too big for the
// store's caches and memtable, which are sized down in proportion (a
// production store holds a million members against caches of a few
// hundred thousand): what the server spends per claim, less the RPC.
//
//	go test ./adjudicator -run '^$' -bench BillMix -benchtime 20000x -cpuprofile cpu.out
func BenchmarkBillMix(b *testing.B) {
	const (
		members = 20_000
		history = 60_000 // claims billed over the past year before the clock starts
	)
	defer debug.SetGCPercent(debug.SetGCPercent(400)) // the server's default (cmd/adjudicator/gc.go)
	today, pop, st, e := openMixEngine(b, members)
	defer st.Close()
	const inFlight = 64
	gen := &mixSource{g: bench.NewGenerator(pop, 2, inFlight)}
	gen.g.SetPhase(today.AddDays(-365), history/365.0)
	runMix(b, e, gen, history, inFlight)
	gen.g.SetPhase(today, 0)
	cpu := cpuTime()
	b.ResetTimer()
	runMix(b, e, gen, b.N, inFlight)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "claims/s")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-us/op")
	for _, c := range st.CacheStats() {
		if c.Name == "summaries" && c.Hits+c.Misses > 0 {
			b.ReportMetric(float64(c.Hits)/float64(c.Hits+c.Misses), "summary-hit-ratio")
		}
	}
}

// cpuTime is the CPU time the process has used, user and system: the
// engine's and its store's, compactions included, as a server's would be.
// openMixEngine opens an engine, on today's clock, over a new store with
// the bench's population of members and caches and memtable scaled down
// so the history leaves them; the caller closes the store.
func openMixEngine(b testing.TB, members int) (domain.Date, *bench.Population, *store.Store, *adjudicator.Engine) {
	b.Helper()
	today := domain.MustDate("2026-11-20")
	pop, err := bench.NewPopulation(bench.PopulationOptions{Seed: 1, Members: members, Today: today})
	if err != nil {
		b.Fatal(err)
	}
	// The summary cache holds about a sixteenth of the members' summaries
	// (a few hundred bytes each here), as 64 MiB holds of a million
	// members' summaries of about a kilobyte.
	st, err := store.Open(store.Options{Dir: b.TempDir(), FamilyCacheSize: members / 10, DocumentCacheSize: members / 5,
		SummaryCacheBytes: int64(members/16) * 512, BlockCacheBytes: 10 << 20, MemTableBytes: 2 << 20})
	if err != nil {
		b.Fatal(err)
	}
	if err := st.PutFamilies(context.Background(), "", pop.Config.Families, nil); err != nil {
		st.Close()
		b.Fatal(err)
	}
	now := today.Time().Add(12 * time.Hour)
	e, err := adjudicator.New(pop.Config, adjudicator.Options{Store: st, Configs: st, Now: func() time.Time { return now }})
	if err != nil {
		st.Close()
		b.Fatal(err)
	}
	return today, pop, st, e
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// mixSource draws ops from a generator for many goroutines.
type mixSource struct {
	mu sync.Mutex
	g  *bench.Generator
}

func (s *mixSource) next() *bench.Op {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.g.Next()
}

// runMix sends n ops of the mix, workers at a time.
func runMix(b testing.TB, e *adjudicator.Engine, src *mixSource, n, workers int) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	left := n
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if left == 0 {
					mu.Unlock()
					return
				}
				left--
				mu.Unlock()
				if err := send(e, src.next()); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
}

func send(e *adjudicator.Engine, op *bench.Op) error {
	ctx := context.Background()
	var err error
	switch {
	case op.Bill != nil:
		_, err = e.Bill(ctx, wire.ClaimFromProto(op.Bill.GetClaim()))
	case op.Rebill != nil:
		_, err = e.Rebill(ctx, wire.ClaimFromProto(op.Rebill.GetClaim()))
	default:
		_, err = e.Reverse(ctx, wire.ReversalFromProto(op.Reverse.GetReversal()))
	}
	return err
}
