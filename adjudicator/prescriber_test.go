package adjudicator_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/internal/demo"
	"github.com/rxclaims/rxclaims/internal/scenario"
)

// TestDemoPaysWithPrescriberValidation: the demo's prescriber file holds
// the documented prescriber, so with prescriber_validation ON on every
// demo plan the README's claim and a claim for every covered member still
// pay, each after the prescriber step.
func TestDemoPaysWithPrescriberValidation(t *testing.T) {
	cfg := demo.Config()
	for i := range cfg.Plans {
		cfg.Plans[i].PrescriberValidation = config.On
	}
	clock := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	engine, _ := scenario.NewEngine(t, cfg, t.TempDir(), func() time.Time { return clock })
	readme := &adjudicator.Claim{BIN: demo.BIN, PCN: demo.PCN, GroupID: demo.DemoGroup, CardholderID: demo.DemoCardholder,
		PersonCode: demo.DemoSubscriberCode, DateOfBirth: demo.DemoSubscriberDOB, DateOfService: "2026-11-20", RxNumber: "1000001",
		ProductID: demo.DemoSingleSourceBrandNDC, Quantity: "60", DaysSupply: 30, DAW: "0", IngredientCostSubmitted: "650.00",
		UsualAndCustomary: "700.00", GrossAmountDue: "700.00", PharmacyNPI: demo.DemoPharmacyNPI, PrescriberNPI: demo.DemoPrescriberNPI}
	claims := append([]*adjudicator.Claim{readme}, demo.CoveredClaims(cfg, domain.MustDate("2026-11-20"))...)
	for i, c := range claims {
		if c.RxNumber == "" {
			c.RxNumber = fmt.Sprint(2000000 + i)
		}
		resp, err := engine.Bill(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != adjudicator.Paid {
			t.Fatalf("claim %d: %s %v %s", i, resp.Status, resp.Rejects, resp.Message)
		}
		if !hasStep(resp, "prescriber") {
			t.Fatalf("claim %d: no prescriber step in the trace", i)
		}
	}
}

func hasStep(r *adjudicator.Response, step string) bool {
	for _, s := range r.Trace {
		if s.Step == step {
			return true
		}
	}
	return false
}
