package pgstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/pgtest"
	"github.com/rxclaims/rxclaims/internal/scenario"
	"github.com/rxclaims/rxclaims/internal/store/pgstore"
)

// TestRacingBills: two engines (two instances) on one database bill every
// claim at once, each claim on both. A B1 reads its claim key and its
// family in one round trip (adjudicator.FamilyPrefetcher), so two bills of
// one key may both read it absent: still exactly one is paid and the other
// answered as its duplicate, and the database verifies clean (every
// balance equals its claims).
func TestRacingBills(t *testing.T) {
	cfg := demo.Config()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	stores, engines := twoInstances(t, cfg, now)
	claims := demo.CoveredClaims(cfg, domain.DateOf(now))
	const rounds = 3
	status := make([][2]adjudicator.Status, rounds*len(claims))
	var wg sync.WaitGroup
	for i := range status {
		for j, e := range engines {
			wg.Go(func() {
				c := *claims[i%len(claims)]
				c.RxNumber = fmt.Sprint(700000 + i)
				resp, err := e.Bill(context.Background(), &c)
				if err != nil {
					t.Errorf("claim %d on engine %d: %v", i, j, err)
					return
				}
				status[i][j] = resp.Status
			})
		}
	}
	wg.Wait()
	paid := 0
	for i, s := range status {
		if s != [2]adjudicator.Status{adjudicator.Paid, adjudicator.Duplicate} && s != [2]adjudicator.Status{adjudicator.Duplicate, adjudicator.Paid} {
			t.Errorf("claim %d answered %q on the two engines; want one P and one D", i, s)
		}
		if s[0] == adjudicator.Paid || s[1] == adjudicator.Paid {
			paid++
		}
	}
	rep, err := stores[0].Verify(context.Background())
	if err != nil || rep.Paid != paid || len(rep.Problems) != 0 {
		t.Fatalf("Verify = %+v, %v; want %d paid claims, no problems", rep, err, paid)
	}
}

// TestFamilyChangedElsewhere: a family another instance changed is read
// as changed, though this instance decoded it before.
func TestFamilyChangedElsewhere(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn), open(t, dsn)
	defer a.Close()
	defer b.Close()
	fam := demo.Config().Families[0]
	if err := a.PutFamilies(ctx, "", []domain.Family{fam}, nil); err != nil {
		t.Fatal(err)
	}
	for _, group := range []string{fam.GroupID, "OTHER", fam.GroupID} {
		changed := fam
		changed.GroupID = group
		if err := b.PutFamilies(ctx, "", []domain.Family{changed}, nil); err != nil {
			t.Fatal(err)
		}
		for _, tx := range []bool{false, true} {
			rctx, end := ctx, func() {}
			if tx {
				var err error
				rctx, end, err = a.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
			}
			got, err := a.Family(rctx, fam.CardholderID)
			end()
			if err != nil || got == nil || got.GroupID != group {
				t.Fatalf("Family (in a transaction: %t) after another instance set group %s = %+v, %v", tx, group, got, err)
			}
		}
	}
}

// twoInstances opens two stores on one private database, each with its own
// engine at now, as two adjudicator instances would run.
func twoInstances(t *testing.T, cfg *config.Config, now time.Time) ([]*pgstore.Store, []*adjudicator.Engine) {
	t.Helper()
	clock := func() time.Time { return now }
	return twoInstancesOn(t, cfg, clock, clock)
}

// twoInstancesOn opens two stores on one private database, each with its
// own engine on its own clock.
func twoInstancesOn(t *testing.T, cfg *config.Config, clockA, clockB func() time.Time) ([]*pgstore.Store, []*adjudicator.Engine) {
	t.Helper()
	dsn := pgtest.DSN(t)
	stores := []*pgstore.Store{open(t, dsn), open(t, dsn)}
	for _, s := range stores {
		t.Cleanup(func() { s.Close() })
	}
	first := scenario.NewEngineOn(t, cfg, stores[0], clockA)
	second, err := adjudicator.New(cfg, adjudicator.Options{Store: stores[1], Configs: stores[1], Now: clockB})
	if err != nil {
		t.Fatal(err)
	}
	return stores, []*adjudicator.Engine{first, second}
}
