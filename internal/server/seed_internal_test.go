package server

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/pgtest"
	"github.com/rxclaims/rxclaims/internal/store/pgstore"
)

// lateStore is a store whose first LoadConfig finds nothing: it looked
// just before another server seeded the database.
type lateStore struct {
	*pgstore.Store
	looked bool
}

func (s *lateStore) LoadConfig() (*config.Config, bool, error) {
	if !s.looked {
		s.looked = true
		return nil, false, nil
	}
	return s.Store.LoadConfig()
}

// TestFirstStartsTogether: servers starting together on one empty
// PostgreSQL database all start: one seeds it, the others start on what
// it wrote. One seed is in the audit trail, one configuration version in
// the store, and every engine holds it. A server that found the database
// empty but lost the race to seed it (lateStore) writes nothing and
// starts on the winner's configuration.
func TestFirstStartsTogether(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	log := slog.New(slog.DiscardHandler)
	opts := Options{Config: ConfigSource{Name: "demo", Load: func() (*config.Config, error) { return demo.Config(), nil }, SeedOnly: true}}
	openPG := func() *pgstore.Store {
		st, err := pgstore.Open(ctx, pgstore.Options{DSN: dsn, Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	const servers = 3
	stores := make([]engineStore, servers+1)
	for i := range servers {
		stores[i] = openPG()
	}
	stores[servers] = &lateStore{Store: openPG()}
	engines := make([]*adjudicator.Engine, len(stores))
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range servers {
		wg.Go(func() {
			<-start
			engines[i], errs[i] = openEngine(ctx, stores[i], opts, log)
		})
	}
	close(start)
	wg.Wait()
	engines[servers], errs[servers] = openEngine(ctx, stores[servers], opts, log)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("server %d: %v", i, err)
		}
		if v := engines[i].ConfigVersion(); v != 1 {
			t.Errorf("server %d holds configuration version %d; want 1", i, v)
		}
	}
	st := stores[0].(*pgstore.Store)
	if v, err := st.ConfigVersion(ctx, 2); err != nil || v != nil {
		t.Errorf("configuration version 2: %v, %v; want none", v, err)
	}
	seeds, err := st.ReadAudit(ctx, adjudicator.AuditQuery{Subject: StartupSubject})
	if err != nil {
		t.Fatal(err)
	}
	if len(seeds) != 1 || seeds[0].Method != "startup seed" {
		t.Errorf("audit trail: %+v; want one seed", seeds)
	}
	fam := demo.Config().Families[0]
	for i, e := range engines {
		if f, err := e.Family(ctx, fam.CardholderID); err != nil || f == nil {
			t.Errorf("server %d: family: %v, %v", i, f, err)
		}
	}
}
