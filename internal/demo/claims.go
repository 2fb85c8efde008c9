package demo

import (
	"github.com/rxclaims/rxclaims/adjudicator"
	"github.com/rxclaims/rxclaims/config"
	"github.com/rxclaims/rxclaims/domain"
)

// CoveredClaims returns, for every member of cfg covered on day, a claim at
// Main Street Pharmacy for 30 tablets over 30 days of one of the demo's
// atorvastatin, Lipitor and Eliquis NDCs in turn, dated day, with
// submitted amounts high enough that the lesser-of rules decide the price.
// Rx numbers are left empty for the caller to make each claim unique.
func CoveredClaims(cfg *config.Config, day domain.Date) []*adjudicator.Claim {
	ndcs := []string{DemoGenericNDC, DemoBrandNDC, DemoSingleSourceBrandNDC}
	var out []*adjudicator.Claim
	for _, f := range cfg.Families {
		for _, m := range f.Members {
			for _, cov := range m.Coverages {
				if !cov.Contains(day) {
					continue
				}
				out = append(out, &adjudicator.Claim{
					BIN: BIN, PCN: PCN, CardholderID: f.CardholderID, PersonCode: m.PersonCode,
					DateOfBirth: m.DateOfBirth.String(), DateOfService: day.String(), ProductID: ndcs[len(out)%len(ndcs)],
					Quantity: "30", DaysSupply: 30, IngredientCostSubmitted: "400.00", UsualAndCustomary: "600.00",
					GrossAmountDue: "600.00", PharmacyNPI: DemoPharmacyNPI, PrescriberNPI: DemoPrescriberNPI,
				})
				break
			}
		}
	}
	return out
}
