package accumulators

import (
	"fmt"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/shopspring/decimal"
)

// Contribution is what one claim added to one bucket. Claims store their
// contributions so a reversal can remove exactly them.
type Contribution struct {
	Scope   Scope           `json:"scope"`
	Kind    Kind            `json:"kind"`
	Level   string          `json:"level,omitempty"`
	Segment domain.Segment  `json:"segment"`
	Amount  decimal.Decimal `json:"amount"`
}

// Bucket returns the bucket the contribution goes to.
func (c Contribution) Bucket() Bucket {
	return Bucket{Kind: c.Kind, Level: c.Level, Segment: c.Segment}
}

// Docs are the member's and the family's documents for one period.
type Docs struct {
	Member, Family *Doc
}

func (d Docs) of(s Scope) *Doc {
	if s == Family {
		return d.Family
	}
	return d.Member
}

// Apply adds the contributions to the documents.
func (d Docs) Apply(cs []Contribution) {
	for _, c := range cs {
		d.of(c.Scope).Add(c.Bucket(), c.Amount)
	}
}

// Remove subtracts the contributions, as a reversal does. It fails, leaving
// the documents partly changed, if any bucket would go negative; callers
// work on clones and discard them on error.
func (d Docs) Remove(cs []Contribution) error {
	for _, c := range cs {
		if v := d.of(c.Scope).Add(c.Bucket(), c.Amount.Neg()); v.IsNegative() {
			return fmt.Errorf("accumulators: reversing %s %s %s would leave %s", c.Scope, c.Kind, c.Segment, v)
		}
	}
	return nil
}
