package edits

import (
	"errors"
	"fmt"
	"slices"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/shopspring/decimal"
)

// Cents rounds an amount half-up to the cent (amounts are never negative,
// so shopspring's half-away-from-zero is half-up).
func Cents(d decimal.Decimal) decimal.Decimal { return d.Round(2) }

// Limit is a deductible or out-of-pocket maximum: an individual amount, an
// optional family amount (zero means no family limit) and the buckets it reads.
type Limit struct {
	Individual   decimal.Decimal `json:"individual"`
	Family       decimal.Decimal `json:"family,omitempty"`
	Accumulation Accumulation    `json:"accumulation,omitempty"`
}

// Validate checks the limit's amounts and accumulation setting.
func (l Limit) Validate() error {
	if l.Individual.IsNegative() || l.Family.IsNegative() {
		return errors.New("amounts must not be negative")
	}
	if !domain.WholeCents(l.Individual) || !domain.WholeCents(l.Family) {
		return errors.New("amounts must be whole cents")
	}
	if !l.Family.IsZero() && l.Family.LessThan(l.Individual) {
		return fmt.Errorf("family amount %s is below the individual amount %s", l.Family, l.Individual)
	}
	return l.Accumulation.Validate()
}

// CostShareKind is how a cost-share line charges the member.
type CostShareKind string

// The cost-share kinds.
const (
	Copay       CostShareKind = "COPAY"
	Coinsurance CostShareKind = "COINSURANCE"
)

// CostShareLine is one line of a copay schedule: conditions (an empty
// condition matches anything) and what the member pays.
type CostShareLine struct {
	Tiers        []int                `json:"tiers,omitempty"`
	BrandClass   domain.BrandClass    `json:"brand_class,omitempty"`
	NetworkTypes []domain.NetworkType `json:"network_types,omitempty"`
	NetworkClass domain.NetworkClass  `json:"network_class,omitempty"`
	MinDays      int                  `json:"min_days,omitempty"`
	MaxDays      int                  `json:"max_days,omitempty"`

	Kind   CostShareKind   `json:"kind"`
	Amount decimal.Decimal `json:"amount,omitempty"` // the copay
	// Schedule, on a COPAY line, gives the copay from a schedule instead
	// of Amount; the member pays no copay when no line of it applies.
	Schedule *ScheduleRef    `json:"schedule,omitempty"`
	Rate     decimal.Decimal `json:"rate,omitempty"` // the coinsurance rate, 0 to 1
	Min      decimal.Decimal `json:"min,omitempty"`  // coinsurance floor
	Max      decimal.Decimal `json:"max,omitempty"`  // coinsurance ceiling; zero means none
}

// CostShareFacts are the claim facts a cost-share line is matched against.
type CostShareFacts struct {
	Tier       int
	BrandClass domain.BrandClass
	Segment    domain.Segment
	DaysSupply int
}

// Matches reports whether every condition of the line holds for f.
func (l *CostShareLine) Matches(f CostShareFacts) bool {
	return (len(l.Tiers) == 0 || slices.Contains(l.Tiers, f.Tier)) &&
		(l.BrandClass == domain.BrandClassDefault || l.BrandClass == f.BrandClass) &&
		(len(l.NetworkTypes) == 0 || slices.Contains(l.NetworkTypes, f.Segment.Type)) &&
		(l.NetworkClass == 0 || l.NetworkClass == f.Segment.Class) &&
		(l.MinDays == 0 || f.DaysSupply >= l.MinDays) &&
		(l.MaxDays == 0 || f.DaysSupply <= l.MaxDays)
}

// Specificity counts the conditions the line sets; the most specific
// matching line wins, so a brand-class line beats a DEFAULT one.
func (l *CostShareLine) Specificity() int {
	n := 0
	for _, set := range []bool{len(l.Tiers) > 0, l.BrandClass != domain.BrandClassDefault, len(l.NetworkTypes) > 0, l.NetworkClass != 0, l.MinDays > 0 || l.MaxDays > 0} {
		if set {
			n++
		}
	}
	return n
}

// Validate checks the line's amounts.
func (l *CostShareLine) Validate() error {
	if l.MinDays < 0 || l.MaxDays < 0 || (l.MaxDays > 0 && l.MaxDays < l.MinDays) {
		return fmt.Errorf("days-supply band %d-%d is invalid", l.MinDays, l.MaxDays)
	}
	if !domain.WholeCents(l.Amount) || !domain.WholeCents(l.Min) || !domain.WholeCents(l.Max) {
		return errors.New("amount, min and max must be whole cents")
	}
	switch l.Kind {
	case Copay:
		if l.Amount.IsNegative() || !l.Rate.IsZero() {
			return errors.New("a copay line takes a non-negative amount and no rate")
		}
		if l.Schedule != nil && !l.Amount.IsZero() {
			return errors.New("a copay line takes an amount or a schedule, not both")
		}
	case Coinsurance:
		if l.Rate.IsNegative() || l.Rate.GreaterThan(decimal.NewFromInt(1)) {
			return fmt.Errorf("coinsurance rate %s is outside 0 to 1", l.Rate)
		}
		if !l.Amount.IsZero() || l.Schedule != nil {
			return errors.New("a coinsurance line takes a rate, not an amount or a schedule")
		}
		if l.Min.IsNegative() || l.Max.IsNegative() || (!l.Max.IsZero() && l.Max.LessThan(l.Min)) {
			return fmt.Errorf("coinsurance min %s / max %s are invalid", l.Min, l.Max)
		}
	default:
		return fmt.Errorf("kind %q: want COPAY or COINSURANCE", l.Kind)
	}
	return nil
}

// MemberShare returns what the member pays under this line on base, the
// amount left after the deductible, as (copay, coinsurance); never more than base.
func (l *CostShareLine) MemberShare(base decimal.Decimal) (copay, coinsurance decimal.Decimal) {
	if l.Kind == Copay {
		return decimal.Min(l.Amount, base), decimal.Zero
	}
	c := Cents(base.Mul(l.Rate))
	if c.LessThan(l.Min) {
		c = l.Min
	}
	if !l.Max.IsZero() && c.GreaterThan(l.Max) {
		c = l.Max
	}
	return decimal.Zero, decimal.Min(c, base)
}

// Describe is a one-line account of the line for the adjudication trace.
func (l *CostShareLine) Describe() string {
	if l.Kind == Copay && l.Schedule != nil {
		return "copay from schedule " + l.Schedule.Schedule
	}
	if l.Kind == Copay {
		return "copay " + l.Amount.StringFixed(2)
	}
	s := "coinsurance " + l.Rate.Mul(decimal.NewFromInt(100)).String() + "%"
	if !l.Min.IsZero() {
		s += " min " + l.Min.StringFixed(2)
	}
	if !l.Max.IsZero() {
		s += " max " + l.Max.StringFixed(2)
	}
	return s
}
