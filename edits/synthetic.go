package edits

import (
	"fmt"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/shopspring/decimal"
)

// Synthetic returns n Active edits of the limitation, clinical and
// benefit-maximum kinds attached to plan, each naming one drug by an NDC
// or a class prefix that real claims do not use (NDCs 99xxxxxxxxx, classes
// "99..."), the shape a large formulary's exceptions take. Benchmarks and
// the bench suite use it to grow the edit count without changing what
// real claims decide.
func Synthetic(plan string, n int, from domain.Date) []Edit {
	out := make([]Edit, 0, n)
	for i := range n {
		e := Edit{ID: fmt.Sprintf("SYN-%06d", i), Version: 1, Status: Active, Level: Level{Kind: PlanLevel, ID: plan},
			Range: domain.Range{From: from}, Audit: Audit{CreatedBy: "synthetic", ActivatedBy: "synthetic"}}
		drug := domain.DrugRef{NDC: fmt.Sprintf("99%09d", i)}
		if i%4 == 3 {
			drug = domain.DrugRef{ClassPrefix: fmt.Sprintf("99%06d", i)}
		}
		e.Criteria.Drugs = []domain.DrugRef{drug}
		switch i % 5 {
		case 0:
			e.Kind, e.Quantity = KindQuantity, &QuantityLimit{MaxQuantity: decimal.NewFromInt(int64(30 + i%90))}
		case 1:
			e.Kind, e.DaysSupply = KindDaysSupply, &DaysSupplyLimit{Max: 30 + i%60}
		case 2:
			e.Kind, e.RefillTooSoon = KindRefillTooSoon, &RefillTooSoon{Percent: 75 + i%20}
		case 3:
			e.Kind, e.BenefitMax = KindMaxRxCount, &BenefitMax{Amount: decimal.NewFromInt(int64(5 + i%20)), Period: PlanYear}
		default:
			e.Kind, e.Age = KindAge, &AgeLimit{Max: 18 + i%60}
		}
		out = append(out, e)
	}
	return out
}
