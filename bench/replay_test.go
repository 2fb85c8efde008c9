package bench

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/internal/store"
	"github.com/rxclaims/rxclaims/internal/wire"
	"github.com/shopspring/decimal"
)

// TestPopulationReplays runs the bench mix (fills, refills, refills too
// soon, reversals, rebills, duplicates) over a bench population, 8 callers
// at a time, with a catalog price change half way, then replays the whole
// store: every stored claim gives its stored answer.
func TestPopulationReplays(t *testing.T) {
	ctx := context.Background()
	pop, err := NewPopulation(PopulationOptions{Seed: 11, Members: 400, Pharmacies: 30, DrugPairs: 10, Today: today})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.PutFamilies(ctx, "", pop.Config.Families, nil); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	e, err := adjudicator.New(pop.Config, adjudicator.Options{Store: st, Configs: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	g := NewGenerator(pop, 11, 100)
	g.SetPhase(today.AddDays(-200), 15)
	run := func(n int) {
		ops := make(chan *Op)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for op := range ops {
					if err := apply(ctx, e, op); err != nil {
						t.Error(err)
					}
				}
			})
		}
		for range n {
			ops <- g.Next()
		}
		close(ops)
		wg.Wait()
	}
	run(1500)
	drugs := e.Configuration().Drugs[:5]
	for i := range drugs {
		for j := range drugs[i].Prices {
			drugs[i].Prices[j].AWP = drugs[i].Prices[j].AWP.Mul(decimal.NewFromInt(2))
		}
	}
	if err := e.UpsertCatalog(ctx, adjudicator.Catalog{Drugs: drugs}, adjudicator.Actor("loader")); err != nil {
		t.Fatal(err)
	}
	run(1500)

	versions, byClaim := map[uint64]int{}, map[string]uint64{}
	sum, err := e.ReplayAll(ctx, func(r *adjudicator.Replay) error {
		versions[r.ConfigVersion]++
		byClaim[r.ClaimID] = r.ConfigVersion
		for _, d := range r.Differences {
			t.Errorf("claim %s (v%d): %s: %s -> %s", r.ClaimID, r.ConfigVersion, d.Field, d.Original, d.Replayed)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Claims < 1000 || sum.Same != sum.Claims || len(versions) != 2 {
		t.Errorf("replay: %+v over versions %v; want over 1,000 claims, all the same, under 2 versions", sum, versions)
	}

	checkPopulationDryRun(t, e, byClaim)
}

// checkPopulationDryRun dry-runs the population's claims under the
// configuration in force, after a price change.
func checkPopulationDryRun(t *testing.T, e *adjudicator.Engine, byClaim map[string]uint64) {
	ctx := context.Background()
	// A dry run under the configuration in force changes claims adjudicated
	// before the price change: at least one change is one of those.
	before := 0
	sel := adjudicator.DryRunSelection{From: today.AddDays(-400), To: today.AddDays(300), Compare: adjudicator.CompareStored}
	rep, err := e.DryRun(ctx, sel, nil, func(c *adjudicator.DryRunChange) error {
		if byClaim[c.ClaimID] != e.ConfigVersion() {
			before++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Claims == 0 || rep.Changed == 0 || before == 0 {
		t.Errorf("dry run: %d claims, %d changed, %d adjudicated before the price change; want some of those", rep.Claims, rep.Changed, before)
	}

	// A caller that stops taking changes (a stream whose client went
	// away) stops the dry run with its error, and frees the slot.
	errStop := errors.New("stop")
	if _, err := e.DryRun(ctx, sel, nil, func(*adjudicator.DryRunChange) error { return errStop }); !errors.Is(err, errStop) {
		t.Errorf("dry run stopped by its caller: %v, want its error", err)
	}
	again, err := e.DryRun(ctx, sel, nil, nil)
	if err != nil || again.Claims != rep.Claims || again.Changed != rep.Changed || again.MembersAffected != rep.MembersAffected ||
		!again.PlanPaidAfter.Equal(rep.PlanPaidAfter) || !again.PatientAfter.Equal(rep.PatientAfter) {
		t.Errorf("dry run again: %+v, %v; want %+v", again, err, rep)
	}
}

// apply sends one op of the mix to the engine.
func apply(ctx context.Context, e *adjudicator.Engine, op *Op) error {
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
