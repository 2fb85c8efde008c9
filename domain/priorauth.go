package domain

import (
	"fmt"
	"slices"

	"github.com/shopspring/decimal"
)

// PriorAuthType is what a prior authorization approves, and so which edit
// it overrides.
type PriorAuthType string

// The prior authorization types.
const (
	// PADrug approves the drug: it satisfies a PRIOR_AUTHORIZATION edit
	// (which otherwise rejects 75). The type of a legacy family PA.
	PADrug PriorAuthType = "DRUG"
	// PAQuantity is a quantity limit exception: a QUANTITY edit's reject
	// is overridden for a claim of at most MaxQuantity.
	PAQuantity PriorAuthType = "QUANTITY"
	// PADaysSupply is a days supply exception: a DAYS_SUPPLY edit's reject
	// (above its maximum or below its minimum) is overridden for a claim
	// of at most MaxDaysSupply days.
	PADaysSupply PriorAuthType = "DAYS_SUPPLY"
	// PARefillTooSoon is a refill-too-soon exception: a REFILL_TOO_SOON
	// edit's reject (79) is overridden.
	PARefillTooSoon PriorAuthType = "REFILL_TOO_SOON"
	// PATier is a tier exception: the claim takes the cost share of Tier
	// instead of the drug's formulary tier.
	PATier PriorAuthType = "TIER"
)

// PriorAuthTypes lists every type.
var PriorAuthTypes = []PriorAuthType{PADrug, PAQuantity, PADaysSupply, PARefillTooSoon, PATier}

// PriorAuth is a prior authorization: a drug (by NDC or class prefix)
// approved for one member over a date range, of a type, with optional
// limits. A record of its own is keyed by cardholder ID, person code and
// number (Key); one carried in a family member has neither of the first
// two and is of type DRUG.
type PriorAuth struct {
	CardholderID string        `json:"cardholder_id,omitempty"`
	PersonCode   string        `json:"person_code,omitempty"`
	Number       string        `json:"number"`
	Type         PriorAuthType `json:"type,omitempty"` // empty means DRUG
	DrugRef      `yaml:",inline"`
	Range        `yaml:",inline"`
	// MaxQuantity is the most a claim may dispense (QUANTITY only).
	MaxQuantity decimal.Decimal `json:"max_quantity,omitzero"`
	// MaxDaysSupply is the most days supply a claim may have (DAYS_SUPPLY only).
	MaxDaysSupply int `json:"max_days_supply,omitempty"`
	// Tier is the tier whose cost share the claim takes (TIER only).
	Tier int `json:"tier,omitempty"`
	// MaxFills, when positive, is how many paid claims the PA may serve.
	MaxFills int `json:"max_fills,omitempty"`
	// MaxTotalQuantity, when positive, is the total quantity the paid
	// claims it serves may dispense.
	MaxTotalQuantity decimal.Decimal `json:"max_total_quantity,omitzero"`
	// Note is free text for the reviewer (the reason, the prescriber's
	// request); it never holds member data.
	Note string `json:"note,omitempty"`
}

// PriorAuthKey identifies a prior authorization record.
type PriorAuthKey struct {
	CardholderID string
	PersonCode   string
	Number       string
}

// Key returns the PA's record key.
func (p *PriorAuth) Key() PriorAuthKey {
	return PriorAuthKey{CardholderID: p.CardholderID, PersonCode: p.PersonCode, Number: p.Number}
}

// Kind returns the PA's type, DRUG when none is given.
func (p *PriorAuth) Kind() PriorAuthType {
	if p.Type == "" {
		return PADrug
	}
	return p.Type
}

// Limited reports whether the PA limits its fills or total quantity.
func (p *PriorAuth) Limited() bool { return p.MaxFills > 0 || p.MaxTotalQuantity.IsPositive() }

// Validate checks a prior authorization record: its key and its terms.
// Messages name the PA number, never the cardholder ID.
func (p *PriorAuth) Validate() error {
	var ps Problems
	if !IsAlnum(p.CardholderID, 1, 20) {
		ps.Addf("cardholder_id", "must be 1 to 20 letters or digits")
	}
	if !IsDigits(p.PersonCode, 3, 3) {
		ps.Addf("person_code", "must be 3 digits")
	}
	ps.Add("", p.validateTerms())
	return ps.Err()
}

// validateTerms checks everything but the member: number, type, drug,
// dates, the type's own term and the limits.
func (p *PriorAuth) validateTerms() error {
	var ps Problems
	if !IsAlnum(p.Number, 1, 20) {
		ps.Addf("number", "prior authorization number must be 1 to 20 letters or digits")
		return ps.Err()
	}
	what := "prior authorization " + p.Number
	if !slices.Contains(PriorAuthTypes, p.Kind()) {
		ps.Addf("type", "%s: type %q must be one of %v", what, p.Type, PriorAuthTypes)
	}
	ps.Wrap("", what, p.DrugRef.Validate())
	ps.Wrap("", what, p.Range.Validate())
	if p.ClassPrefix != "" && !IsAlnum(p.ClassPrefix, 1, 14) {
		ps.Addf("class_prefix", "%s: class_prefix must be 1 to 14 letters or digits", what)
	}
	if len(p.Note) > MaxPriorAuthNote {
		ps.Addf("note", "%s: note is longer than %d bytes", what, MaxPriorAuthNote)
	}
	if p.MaxQuantity.IsNegative() || p.MaxDaysSupply < 0 || p.Tier < 0 || p.MaxFills < 0 || p.MaxTotalQuantity.IsNegative() {
		ps.Addf("", "%s: limits must not be negative", what)
	}
	for _, q := range []struct {
		field string
		v     decimal.Decimal
	}{{"max_quantity", p.MaxQuantity}, {"max_total_quantity", p.MaxTotalQuantity}} {
		if q.v.Exponent() < -3 && !q.v.Equal(q.v.Round(3)) || q.v.GreaterThanOrEqual(paQuantityCeiling) {
			ps.Addf(q.field, "%s: %s must be below %s with at most 3 decimals", what, q.field, paQuantityCeiling)
		}
	}
	if p.MaxDaysSupply > 999 || p.Tier > 99 || p.MaxFills > 999 {
		ps.Addf("", "%s: max_days_supply and max_fills may be at most 999, tier 99", what)
	}
	for _, n := range []struct {
		t     PriorAuthType
		field string
		set   bool
	}{
		{PAQuantity, "max_quantity", p.MaxQuantity.IsPositive()},
		{PADaysSupply, "max_days_supply", p.MaxDaysSupply > 0},
		{PATier, "tier", p.Tier > 0},
	} {
		switch {
		case n.t == p.Kind() && !n.set:
			ps.Addf(n.field, "%s: a %s exception needs %s", what, n.t, n.field)
		case n.t != p.Kind() && n.set:
			ps.Addf(n.field, "%s: %s belongs to a %s exception, not %s", what, n.field, n.t, p.Kind())
		}
	}
	return ps.Err()
}

// MaxPriorAuthNote bounds a PA's note: a claim record may keep the PA.
const MaxPriorAuthNote = 500

// paQuantityCeiling bounds a PA's quantities as claims' quantities are
// bounded (NCPDP 442-E7 is 10 digits with 3 implied decimals).
var paQuantityCeiling = decimal.New(1, 7)

// Overlaps reports whether p and q are two PAs of the same member, type
// and drug whose date ranges share a day: the member would hold two
// approvals of one thing at once, which validation refuses.
func (p *PriorAuth) Overlaps(q *PriorAuth) bool {
	if p.CardholderID != q.CardholderID || p.PersonCode != q.PersonCode || p.Number == q.Number ||
		p.Kind() != q.Kind() || p.DrugRef != q.DrugRef {
		return false
	}
	endsBefore := func(a, b *PriorAuth) bool { return !a.To.IsZero() && a.To.Before(b.From) }
	return !endsBefore(p, q) && !endsBefore(q, p)
}

// Describe is how traces and listings name the PA's approval:
// "QUANTITY exception up to 60".
func (p *PriorAuth) Describe() string {
	switch p.Kind() {
	case PAQuantity:
		return fmt.Sprintf("quantity exception up to %s", p.MaxQuantity)
	case PADaysSupply:
		return fmt.Sprintf("days supply exception up to %d", p.MaxDaysSupply)
	case PARefillTooSoon:
		return "refill-too-soon exception"
	case PATier:
		return fmt.Sprintf("tier exception to tier %d", p.Tier)
	}
	return "drug approval"
}
