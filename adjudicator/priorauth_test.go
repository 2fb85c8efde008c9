package adjudicator_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/store"
)

// plainStore is a store that keeps no prior authorization records: the
// contract's optional PriorAuthStore hidden.
type plainStore struct {
	adjudicator.Store
	adjudicator.ConfigStore
}

// TestPriorAuthsWithoutPriorAuthStore: over a store without PA records, the
// PA changes answer ErrNoPriorAuthStore, changing nothing, and the PAs a
// family record carries are still read (and listed).
func TestPriorAuthsWithoutPriorAuthStore(t *testing.T) {
	ctx := context.Background()
	cfg := ppoConfig(t)
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.PutFamilies(ctx, "", cfg.Families, nil); err != nil { // PAs left inside the families
		t.Fatal(err)
	}
	plain := plainStore{Store: st, ConfigStore: st}
	e, err := adjudicator.New(cfg, adjudicator.Options{Store: plain, Configs: plain, Now: func() time.Time { return time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	pa := domain.PriorAuth{CardholderID: "SMITH01", PersonCode: "001", Number: "PA9", DrugRef: domain.DrugRef{ClassPrefix: "6627"},
		Range: domain.Range{From: domain.MustDate("2026-01-01")}}
	if _, err := e.CreatePriorAuth(ctx, pa, adjudicator.Actor("pam")); !errors.Is(err, adjudicator.ErrNoPriorAuthStore) {
		t.Fatalf("create: %v, want ErrNoPriorAuthStore", err)
	}
	if err := e.SyncPriorAuths(ctx, []domain.PriorAuth{pa}, adjudicator.Actor("loader")); !errors.Is(err, adjudicator.ErrNoPriorAuthStore) {
		t.Fatalf("sync: %v, want ErrNoPriorAuthStore", err)
	}
	list, err := e.PriorAuths(ctx, "SMITH01", "")
	if err != nil || len(list) != 1 || list[0].Number != "PA123" || list[0].PersonCode != "003" || list[0].Kind() != domain.PADrug {
		t.Fatalf("listed %+v (%v), want the family record's PA123 of member 003", list, err)
	}
	if stored, err := st.PriorAuths(ctx, "SMITH01"); err != nil || len(stored) != 0 {
		t.Fatalf("records written: %+v (%v)", stored, err)
	}
}
