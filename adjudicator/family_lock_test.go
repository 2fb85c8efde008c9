package adjudicator_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/scenario"
)

// familyReadHook is a store that runs hook once, right after the first
// family read and before that read reaches the engine.
type familyReadHook struct {
	adjudicator.Store
	ran  atomic.Bool
	hook func()
}

func (s *familyReadHook) Family(ctx context.Context, id string) (*domain.Family, error) {
	f, err := s.Store.Family(ctx, id)
	if s.ran.CompareAndSwap(false, true) {
		s.hook()
	}
	return f, err
}

// TestFamilyReadUnderLock: a claim reads its family under the family lock,
// so a removal or a cancellation of the family either lands before the
// read (and the claim sees it) or waits until the claim is done. The hook
// starts the change between the read and the rest of the claim and gives
// it time to finish: it must not finish while the claim is in flight.
func TestFamilyReadUnderLock(t *testing.T) {
	cfg := ppoConfig(t)
	changes := map[string]func(context.Context, *adjudicator.Engine) error{
		"removed": func(ctx context.Context, e *adjudicator.Engine) error {
			return e.RemoveFamily(ctx, "SMITH01", adjudicator.Actor("loader"))
		},
		"cancelled": func(ctx context.Context, e *adjudicator.Engine) error {
			_, err := e.SyncFamilies(ctx, nil, []string{"SMITH01"}, nil, adjudicator.Actor("loader"))
			return err
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clock := time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)
			_, st := scenario.NewEngine(t, cfg, t.TempDir(), func() time.Time { return clock })
			wrapped := &familyReadHook{Store: st}
			e, err := adjudicator.New(cfg, adjudicator.Options{Store: wrapped, Configs: st, Now: func() time.Time { return clock }})
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			changedInFlight := false
			wrapped.hook = func() {
				go func() { done <- change(ctx, e) }()
				select {
				case <-done:
					changedInFlight = true
				case <-time.After(300 * time.Millisecond):
				}
			}
			resp, err := e.Bill(ctx, familyLockClaim())
			if err != nil {
				t.Fatal(err)
			}
			if changedInFlight && resp.Status == adjudicator.Paid {
				t.Fatalf("the family was %s while the claim was in flight, and the claim was still paid", name)
			}
			if !changedInFlight {
				// The change ran after the claim: a paid family cannot be removed.
				if err := <-done; err != nil && !errors.Is(err, adjudicator.ErrFamilyHasClaims) {
					t.Fatal(err)
				}
			}
		})
	}
}

func familyLockClaim() *adjudicator.Claim {
	return &adjudicator.Claim{
		BIN: "610999", PCN: "RXCLAIMS", CardholderID: "SMITH01", PersonCode: "001", DateOfBirth: "1980-01-01",
		DateOfService: "2026-04-01", RxNumber: "900001", ProductID: "00093505698", Quantity: "30", DaysSupply: 30,
		IngredientCostSubmitted: "20.00", UsualAndCustomary: "30.00", GrossAmountDue: "30.00",
		PharmacyNPI: "1234567893", PrescriberNPI: "1000000053",
	}
}

// ppoConfig is the ppo scenario bundle.
func ppoConfig(t *testing.T) *config.Config {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(scenario.Dir(), "bundles", "ppo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
