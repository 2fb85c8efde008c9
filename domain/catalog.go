package domain

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Network is a pharmacy network with its type and pricing terms.
type Network struct {
	ID      string        `json:"id"`
	Type    NetworkType   `json:"type"`
	Pricing []PricingTerm `json:"pricing"`
}

// PricingTerm gives the AWP discount and dispensing fee for a brand class;
// the DEFAULT term applies when no class-specific term exists.
type PricingTerm struct {
	BrandClass    BrandClass      `json:"brand_class,omitempty"`
	AWPDiscount   decimal.Decimal `json:"awp_discount"` // 0.15 means AWP less 15 %
	DispensingFee decimal.Decimal `json:"dispensing_fee"`
}

// Pharmacy is a dispensing pharmacy and its network participations.
type Pharmacy struct {
	NPI            string          `json:"npi"`
	Name           string          `json:"name"`
	Participations []Participation `json:"participations"`
	// Attributes are customer-defined values (chain, region, …) that
	// schedules read as "pharmacy.<name>".
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Participation is a pharmacy's contract with a network over a date range.
type Participation struct {
	Network string `json:"network"`
	Range   `yaml:",inline"`
}

// Drug is a product in the catalog.
type Drug struct {
	NDC              string `json:"ndc"`
	Name             string `json:"name"`
	TherapeuticClass string `json:"therapeutic_class"`
	MultiSourceCode  string `json:"multi_source_code"`
	// BrandGeneric is the compendium's brand/generic indicator, B or G;
	// empty takes the multi-source code's own meaning (see BrandClassOf).
	BrandGeneric string      `json:"brand_generic,omitempty"`
	Prices       []DrugPrice `json:"prices"`
	// GenericNDC optionally names the drug's generic equivalent in the
	// catalog (a drug of a generic brand class). The brand penalty of a
	// multi-source brand without a MAC of its own reads the equivalent's MAC.
	GenericNDC string `json:"generic_ndc,omitempty"`
	// DEASchedule is the drug's DEA controlled substance schedule, "2" (C-II)
	// to "5" (C-V); empty for a drug that is not controlled.
	DEASchedule string `json:"dea_schedule,omitempty"`
	// Attributes are customer-defined values that schedules read as
	// "drug.<name>".
	Attributes map[string]string `json:"attributes,omitempty"`
}

// DrugPrice is a drug's unit prices from a date on.
type DrugPrice struct {
	Effective Date            `json:"effective"`
	AWP       decimal.Decimal `json:"awp"`           // average wholesale price per unit
	MAC       decimal.Decimal `json:"mac,omitempty"` // maximum allowable cost per unit; zero means none
}

// Validate checks a network and reports every problem (as Problems).
func (n *Network) Validate() error {
	var ps Problems
	if n.ID == "" {
		ps.Addf("", "network without id")
	}
	if n.Type < Retail || n.Type > Specialty {
		ps.Addf("", "network %s: type is required", n.ID)
	}
	hasDefault := false
	for i, t := range n.Pricing {
		path := Index("pricing", i)
		if t.AWPDiscount.IsNegative() || t.AWPDiscount.GreaterThanOrEqual(decimal.NewFromInt(1)) {
			ps.Addf(path, "network %s: awp_discount %s is outside 0 to 1", n.ID, t.AWPDiscount)
		}
		if t.DispensingFee.IsNegative() || !WholeCents(t.DispensingFee) {
			ps.Addf(path, "network %s: dispensing_fee %s must be whole cents, not negative", n.ID, t.DispensingFee)
		}
		hasDefault = hasDefault || t.BrandClass == BrandClassDefault
	}
	if !hasDefault {
		ps.Addf("", "network %s: pricing needs a DEFAULT brand class term", n.ID)
	}
	return ps.Err()
}

// BrandClass derives the drug's brand class from its multi-source code and
// brand/generic indicator.
func (d *Drug) BrandClass() (BrandClass, error) {
	return BrandClassOf(d.MultiSourceCode, d.BrandGeneric)
}

// Validate checks a drug and reports every problem (as Problems).
func (d *Drug) Validate() error {
	var ps Problems
	if !IsDigits(d.NDC, 11, 11) {
		ps.Addf("", "drug %q: ndc must be 11 digits", d.NDC)
	}
	if _, err := d.BrandClass(); err != nil {
		ps.Addf("", "drug %s: %w", d.NDC, err)
	}
	if len(d.Prices) == 0 {
		ps.Addf("", "drug %s: no prices", d.NDC)
	}
	if d.GenericNDC != "" && (!IsDigits(d.GenericNDC, 11, 11) || d.GenericNDC == d.NDC) {
		ps.Addf("", "drug %s: generic_ndc %q must be the 11-digit NDC of another drug", d.NDC, d.GenericNDC)
	}
	if d.DEASchedule != "" && !ValidDEASchedule(d.DEASchedule) {
		ps.Addf("", "drug %s: dea_schedule %q must be one of 2, 3, 4, 5 (empty: not controlled)", d.NDC, d.DEASchedule)
	}
	ps.Wrap("", "drug "+d.NDC, ValidateAttributes(d.Attributes))
	for i, p := range d.Prices {
		path := Index("prices", i)
		if p.Effective.IsZero() || !p.AWP.IsPositive() || p.MAC.IsNegative() {
			ps.Addf(path, "drug %s price %d: needs an effective date, a positive awp and a non-negative mac", d.NDC, i+1)
		}
		if i > 0 && !p.Effective.After(d.Prices[i-1].Effective) {
			ps.Addf(path, "drug %s: prices must be in increasing effective order", d.NDC)
		}
	}
	return ps.Err()
}

// Validate checks a pharmacy against the configured networks and reports
// every problem (as Problems).
func (p *Pharmacy) Validate(networks map[string]bool) error {
	var ps Problems
	if !ValidNPI(p.NPI) {
		ps.Addf("", "pharmacy %q: npi is not a valid NPI", p.NPI)
	}
	ps.Wrap("", "pharmacy "+p.NPI, ValidateAttributes(p.Attributes))
	for i, pt := range p.Participations {
		path := Index("participations", i)
		if !networks[pt.Network] {
			ps.Addf(path, "pharmacy %s: unknown network %q", p.NPI, pt.Network)
			continue
		}
		ps.Wrap(path, fmt.Sprintf("pharmacy %s network %s", p.NPI, pt.Network), pt.Range.Validate())
	}
	return ps.Err()
}
