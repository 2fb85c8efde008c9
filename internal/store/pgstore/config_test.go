package pgstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/store/pgstore"
)

// TestConfigChangesRace: two engines (two instances) on one database
// change the configuration at once, from the same version, round after
// round, while both bill claims. In every round exactly one change is
// written; the other is refused with ErrStaleConfig, having written
// nothing, and goes through once its engine follows the latest version.
// No change is lost, the stored versions are numbered one after another,
// and every claim records a stored version.
func TestConfigChangesRace(t *testing.T) {
	cfg := demo.Config()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	stores, engines := twoInstances(t, cfg, now)
	if engines[0].ConfigVersion() != 1 || engines[1].ConfigVersion() != 1 {
		t.Fatalf("versions at start: %d and %d; want 1 and 1", engines[0].ConfigVersion(), engines[1].ConfigVersion())
	}
	stop := billAll(t, engines, demo.CoveredClaims(cfg, domain.DateOf(now)))
	const rounds = 8
	for round := range rounds {
		raceChanges(t, stores, engines, round)
	}
	stop()
	checkVersions(t, stores[0], engines, rounds)
}

// billAll bills claims on every engine until the returned stop is called.
func billAll(t *testing.T, engines []*adjudicator.Engine, claims []*adjudicator.Claim) (stop func()) {
	done := make(chan struct{})
	var billing sync.WaitGroup
	errs := make(chan error, len(engines))
	for i, e := range engines {
		billing.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-done:
					return
				default:
				}
				c := *claims[n%len(claims)]
				c.RxNumber = strconv.Itoa(100000*(i+1) + n)
				if _, err := e.Bill(context.Background(), &c); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	return func() {
		close(done)
		billing.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
}

// raceChanges makes one change on each of two engines at once, from the
// same version: one is written, the other refused, and made again once
// its engine follows; then both follow the latest version.
func raceChanges(t *testing.T, stores []*pgstore.Store, engines []*adjudicator.Engine, round int) {
	t.Helper()
	ctx := context.Background()
	follow := func(i int) {
		t.Helper()
		v, err := stores[i].LatestConfigVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := engines[i].Follow(v); err != nil {
			t.Fatal(err)
		}
	}
	change := func(i int) error {
		_, err := engines[i].CreateDraft(ctx, quantityEdit(t, fmt.Sprintf("QTY-%d-%d", round, i)), adjudicator.Actor("alice"))
		return err
	}
	var wg sync.WaitGroup
	var errs [2]error
	for i := range engines {
		wg.Go(func() { errs[i] = change(i) })
	}
	wg.Wait()
	loser := -1
	for i, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, adjudicator.ErrStaleConfig) && loser < 0:
			loser = i
		default:
			t.Fatalf("round %d, engine %d: %v", round, i, err)
		}
	}
	if loser < 0 {
		t.Fatalf("round %d: both changes made from one version were written", round)
	}
	follow(loser)
	if err := change(loser); err != nil {
		t.Fatalf("round %d: the refused change again, after following: %v", round, err)
	}
	follow(1 - loser)
}

// checkVersions: both engines hold the last version, with every change;
// the versions are numbered one after another; every claim records one.
func checkVersions(t *testing.T, st *pgstore.Store, engines []*adjudicator.Engine, rounds int) {
	t.Helper()
	ctx := context.Background()
	want := uint64(1 + 2*rounds)
	for i, e := range engines {
		if e.ConfigVersion() != want {
			t.Errorf("engine %d holds version %d; want %d", i, e.ConfigVersion(), want)
		}
		var ids []string
		for _, ed := range e.Configuration().Edits {
			ids = append(ids, ed.ID)
		}
		for round := range rounds {
			for j := range 2 {
				if id := fmt.Sprintf("QTY-%d-%d", round, j); !slices.Contains(ids, id) {
					t.Errorf("engine %d: change %s lost", i, id)
				}
			}
		}
	}
	for n := uint64(1); n <= want+1; n++ {
		if v, err := st.ConfigVersion(ctx, n); err != nil || (v == nil) != (n > want) {
			t.Fatalf("version %d: %v, %v", n, v, err)
		}
	}
	paid := 0
	if err := st.ForEachClaim(func(r *adjudicator.ClaimRecord) error {
		paid++
		if r.ConfigVersion < 1 || r.ConfigVersion > want {
			return fmt.Errorf("claim %s records configuration version %d, not a stored one", r.ID, r.ConfigVersion)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if paid == 0 {
		t.Fatal("no claim was paid while the configuration changed")
	}
}

// quantityEdit is a draft quantity limit with the ID.
func quantityEdit(t *testing.T, id string) edits.Edit {
	t.Helper()
	var e edits.Edit
	if err := json.Unmarshal([]byte(`{"id": "`+id+`", "kind": "QUANTITY", "level": {"kind": "PBM"},
		"effective": "2026-01-01", "quantity": {"max_quantity": "1000"}}`), &e); err != nil {
		t.Fatal(err)
	}
	return e
}
