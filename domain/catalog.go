package domain

import (
	"errors"
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
	Range
}

// Drug is a product in the catalog.
type Drug struct {
	NDC              string      `json:"ndc"`
	Name             string      `json:"name"`
	TherapeuticClass string      `json:"therapeutic_class"`
	MultiSourceCode  string      `json:"multi_source_code"`
	Prices           []DrugPrice `json:"prices"`
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

func (n *Network) Validate() error {
	if n.ID == "" {
		return errors.New("network without id")
	}
	if n.Type < Retail || n.Type > Specialty {
		return fmt.Errorf("network %s: type is required", n.ID)
	}
	hasDefault := false
	for _, t := range n.Pricing {
		if t.AWPDiscount.IsNegative() || t.AWPDiscount.GreaterThanOrEqual(decimal.NewFromInt(1)) {
			return fmt.Errorf("network %s: awp_discount %s is outside 0 to 1", n.ID, t.AWPDiscount)
		}
		if t.DispensingFee.IsNegative() || !WholeCents(t.DispensingFee) {
			return fmt.Errorf("network %s: dispensing_fee %s must be whole cents, not negative", n.ID, t.DispensingFee)
		}
		hasDefault = hasDefault || t.BrandClass == BrandClassDefault
	}
	if !hasDefault {
		return fmt.Errorf("network %s: pricing needs a DEFAULT brand class term", n.ID)
	}
	return nil
}

func (d *Drug) Validate() error {
	if !IsDigits(d.NDC, 11, 11) {
		return fmt.Errorf("drug %q: ndc must be 11 digits", d.NDC)
	}
	if _, err := BrandClassOf(d.MultiSourceCode); err != nil {
		return fmt.Errorf("drug %s: %w", d.NDC, err)
	}
	if len(d.Prices) == 0 {
		return fmt.Errorf("drug %s: no prices", d.NDC)
	}
	if err := ValidateAttributes(d.Attributes); err != nil {
		return fmt.Errorf("drug %s: %w", d.NDC, err)
	}
	for i, p := range d.Prices {
		if p.Effective.IsZero() || !p.AWP.IsPositive() || p.MAC.IsNegative() {
			return fmt.Errorf("drug %s price %d: needs an effective date, a positive awp and a non-negative mac", d.NDC, i+1)
		}
		if i > 0 && !p.Effective.After(d.Prices[i-1].Effective) {
			return fmt.Errorf("drug %s: prices must be in increasing effective order", d.NDC)
		}
	}
	return nil
}

func (p *Pharmacy) Validate(networks map[string]*Network) error {
	if !ValidNPI(p.NPI) {
		return fmt.Errorf("pharmacy %q: npi is not a valid NPI", p.NPI)
	}
	if err := ValidateAttributes(p.Attributes); err != nil {
		return fmt.Errorf("pharmacy %s: %w", p.NPI, err)
	}
	for _, pt := range p.Participations {
		if networks[pt.Network] == nil {
			return fmt.Errorf("pharmacy %s: unknown network %q", p.NPI, pt.Network)
		}
		if err := pt.Range.Validate(); err != nil {
			return fmt.Errorf("pharmacy %s network %s: %w", p.NPI, pt.Network, err)
		}
	}
	return nil
}
