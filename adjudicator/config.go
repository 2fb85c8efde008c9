package adjudicator

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rxclaims/rxclaims/edits"
	"github.com/shopspring/decimal"
)

// Config is a configuration bundle: everything the engine adjudicates with.
// Plans, networks, pharmacies and drugs compile into the engine's snapshot;
// families go to the store.
type Config struct {
	Settings   Settings     `json:"settings,omitzero"` // PBM-level settings
	Clients    []Client     `json:"clients,omitempty"`
	Groups     []Group      `json:"groups,omitempty"`
	Plans      []Plan       `json:"plans"`
	Networks   []Network    `json:"networks"`
	Pharmacies []Pharmacy   `json:"pharmacies"`
	Drugs      []Drug       `json:"drugs"`
	Edits      []edits.Edit `json:"edits,omitempty"`
	// Schedules are the lookup tables edits take amounts from (DOMAIN §9).
	Schedules []edits.Schedule `json:"schedules,omitempty"`
	Families  []Family         `json:"families,omitempty"`
}

// Plan is a benefit plan: its networks, formulary and financial rules.
//
// Deductible, OutOfPocket and CostShare are a shorthand for the plan's
// default financial edits: loading a configuration turns them into Active
// PLAN-level edits (IDs "<plan>.deductible", "<plan>.out-of-pocket" and
// "<plan>.cost-share"), which then change only through the edit lifecycle.
type Plan struct {
	ID               string                `json:"id"`
	Name             string                `json:"name"`
	PeriodStartMonth int                   `json:"period_start_month,omitempty"` // benefit period starts on the 1st of this month; default 1
	Networks         []PlanNetwork         `json:"networks"`
	Deductible       edits.Limit           `json:"deductible,omitzero"`
	OutOfPocket      edits.Limit           `json:"out_of_pocket,omitzero"`
	CostShare        []edits.CostShareLine `json:"cost_share,omitempty"`
	Formulary        []FormularyEntry      `json:"formulary"`
	Exclusions       []DrugMatch           `json:"exclusions,omitempty"`
	LevelSettings
}

// LevelSettings are settings any level of the hierarchy may set; a level
// that leaves one unset takes it from the level above (plan → group →
// client → PBM), and the PBM from the defaults.
type LevelSettings struct {
	// PenaltyDAW lists the DAW codes for which a member who takes a
	// multi-source brand pays the difference to MAC (134-UK); default ["2"].
	PenaltyDAW []string `json:"penalty_daw,omitempty"`
	// MACExemptDAW lists the DAW codes for which a multi-source brand is not
	// reduced to MAC; default ["1", "2"].
	MACExemptDAW []string `json:"mac_exempt_daw,omitempty"`
	// Retail90MinDays is the days supply from which a pharmacy's Retail90
	// network is preferred to its Retail one; default 84.
	Retail90MinDays int `json:"retail90_min_days,omitempty"`
}

// Settings are the PBM-level settings.
type Settings struct {
	LevelSettings
	// AllowSelfActivation relaxes maker-checker: the creator of a draft edit
	// may activate it. Each such activation is marked in the edit's audit.
	AllowSelfActivation bool `json:"allow_self_activation,omitempty"`
}

// Client is a carrier: the level between the PBM and its groups.
type Client struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	LevelSettings
}

// Group is an employer or other group customer of a client.
type Group struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	ClientID string `json:"client_id"`
	LevelSettings
}

// PlanNetwork is a network the plan uses and how it classifies it.
type PlanNetwork struct {
	Network        string             `json:"network"`
	Classification edits.NetworkClass `json:"classification"`
}

// FormularyEntry places a drug, by NDC or by therapeutic-class prefix, on a tier.
type FormularyEntry struct {
	DrugMatch
	Tier int `json:"tier"`
}

// DrugMatch selects drugs by NDC-11 or by therapeutic-class prefix.
type DrugMatch = edits.DrugRef

// Network is a pharmacy network with its type and pricing terms.
type Network struct {
	ID      string            `json:"id"`
	Type    edits.NetworkType `json:"type"`
	Pricing []PricingTerm     `json:"pricing"`
}

// PricingTerm gives the AWP discount and dispensing fee for a brand class;
// the DEFAULT term applies when no class-specific term exists.
type PricingTerm struct {
	BrandClass    edits.BrandClass `json:"brand_class,omitempty"`
	AWPDiscount   decimal.Decimal  `json:"awp_discount"` // 0.15 means AWP less 15 %
	DispensingFee decimal.Decimal  `json:"dispensing_fee"`
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
	edits.Range
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
	Effective edits.Date      `json:"effective"`
	AWP       decimal.Decimal `json:"awp"`           // average wholesale price per unit
	MAC       decimal.Decimal `json:"mac,omitempty"` // maximum allowable cost per unit; zero means none
}

// Family is a subscriber and dependents sharing a cardholder ID.
type Family struct {
	CardholderID string   `json:"cardholder_id"`
	GroupID      string   `json:"group_id"`
	Members      []Member `json:"members"`
}

// Member is one person on a family.
type Member struct {
	PersonCode  string     `json:"person_code"`
	DateOfBirth edits.Date `json:"date_of_birth"`
	Gender      string     `json:"gender,omitempty"` // M, F or U
	Coverages   []Coverage `json:"coverages"`
	// PriorAuths are the prior authorizations on file for the member.
	PriorAuths []PriorAuth `json:"prior_authorizations,omitempty"`
}

// PriorAuth is a prior authorization on file: a drug (by NDC or class
// prefix) approved for the member over a date range.
type PriorAuth struct {
	Number string `json:"number"`
	edits.DrugRef
	edits.Range
}

// Coverage enrols a member in a plan over a date range.
type Coverage struct {
	PlanID string `json:"plan_id"`
	edits.Range
}

// Member returns the member with the given person code, or nil.
func (f *Family) Member(personCode string) *Member {
	for i := range f.Members {
		if f.Members[i].PersonCode == personCode {
			return &f.Members[i]
		}
	}
	return nil
}

// Validate checks a family record on its own.
func (f *Family) Validate() error {
	if !isAlnum(f.CardholderID, 1, 20) {
		return fmt.Errorf("family: cardholder_id %q must be 1 to 20 letters or digits", f.CardholderID)
	}
	if len(f.Members) == 0 {
		return fmt.Errorf("family %s: no members", f.CardholderID)
	}
	seen := map[string]bool{}
	for _, m := range f.Members {
		if !isDigits(m.PersonCode, 3, 3) {
			return fmt.Errorf("family %s: person_code %q must be 3 digits", f.CardholderID, m.PersonCode)
		}
		if seen[m.PersonCode] {
			return fmt.Errorf("family %s: person_code %s appears twice", f.CardholderID, m.PersonCode)
		}
		seen[m.PersonCode] = true
		if m.DateOfBirth.IsZero() {
			return fmt.Errorf("family %s member %s: date_of_birth is required", f.CardholderID, m.PersonCode)
		}
		for _, pa := range m.PriorAuths {
			if pa.Number == "" {
				return fmt.Errorf("family %s member %s: prior authorization without number", f.CardholderID, m.PersonCode)
			}
			if err := pa.DrugRef.Validate(); err != nil {
				return fmt.Errorf("family %s member %s prior authorization %s: %w", f.CardholderID, m.PersonCode, pa.Number, err)
			}
			if err := pa.Range.Validate(); err != nil {
				return fmt.Errorf("family %s member %s prior authorization %s: %w", f.CardholderID, m.PersonCode, pa.Number, err)
			}
		}
		for _, c := range m.Coverages {
			if c.PlanID == "" {
				return fmt.Errorf("family %s member %s: coverage without plan_id", f.CardholderID, m.PersonCode)
			}
			if err := c.Range.Validate(); err != nil {
				return fmt.Errorf("family %s member %s coverage %s: %w", f.CardholderID, m.PersonCode, c.PlanID, err)
			}
		}
	}
	return nil
}

// ValidateFamilies checks every family and that each coverage names a plan
// of cfg.
func (c *Config) ValidateFamilies() error {
	plans := map[string]bool{}
	for _, p := range c.Plans {
		plans[p.ID] = true
	}
	ids := map[string]bool{}
	for i := range c.Families {
		f := &c.Families[i]
		if err := f.Validate(); err != nil {
			return err
		}
		if ids[f.CardholderID] {
			return fmt.Errorf("family %s appears twice", f.CardholderID)
		}
		ids[f.CardholderID] = true
		for _, m := range f.Members {
			for _, cov := range m.Coverages {
				if !plans[cov.PlanID] {
					return fmt.Errorf("family %s member %s: unknown plan %q", f.CardholderID, m.PersonCode, cov.PlanID)
				}
			}
		}
	}
	return nil
}

func (p *Plan) validate(networks map[string]*Network) error {
	if p.ID == "" {
		return errors.New("plan without id")
	}
	if p.PeriodStartMonth < 0 || p.PeriodStartMonth > 12 {
		return fmt.Errorf("period_start_month %d is outside 1 to 12", p.PeriodStartMonth)
	}
	if len(p.Networks) == 0 {
		return errors.New("no networks")
	}
	for _, n := range p.Networks {
		if networks[n.Network] == nil {
			return fmt.Errorf("unknown network %q", n.Network)
		}
		if n.Classification != edits.InNetwork && n.Classification != edits.OutOfNetwork {
			return fmt.Errorf("network %s: classification must be IN or OUT", n.Network)
		}
	}
	if err := p.LevelSettings.validate(); err != nil {
		return err
	}
	for i, f := range p.Formulary {
		if err := f.DrugMatch.Validate(); err != nil {
			return fmt.Errorf("formulary entry %d: %w", i+1, err)
		}
		if f.Tier < 1 || f.Tier > 9 {
			return fmt.Errorf("formulary entry %d: tier %d is outside 1 to 9", i+1, f.Tier)
		}
	}
	for i, x := range p.Exclusions {
		if err := x.Validate(); err != nil {
			return fmt.Errorf("exclusion %d: %w", i+1, err)
		}
	}
	return nil
}

func (n *Network) validate() error {
	if n.ID == "" {
		return errors.New("network without id")
	}
	if n.Type < edits.Retail || n.Type > edits.Specialty {
		return fmt.Errorf("network %s: type is required", n.ID)
	}
	hasDefault := false
	for _, t := range n.Pricing {
		if t.AWPDiscount.IsNegative() || t.AWPDiscount.GreaterThanOrEqual(decimal.NewFromInt(1)) {
			return fmt.Errorf("network %s: awp_discount %s is outside 0 to 1", n.ID, t.AWPDiscount)
		}
		if t.DispensingFee.IsNegative() || !edits.WholeCents(t.DispensingFee) {
			return fmt.Errorf("network %s: dispensing_fee %s must be whole cents, not negative", n.ID, t.DispensingFee)
		}
		hasDefault = hasDefault || t.BrandClass == edits.BrandClassDefault
	}
	if !hasDefault {
		return fmt.Errorf("network %s: pricing needs a DEFAULT brand class term", n.ID)
	}
	return nil
}

func (d *Drug) validate() error {
	if !isDigits(d.NDC, 11, 11) {
		return fmt.Errorf("drug %q: ndc must be 11 digits", d.NDC)
	}
	if _, err := edits.BrandClassOf(d.MultiSourceCode); err != nil {
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

func (p *Pharmacy) validate(networks map[string]*Network) error {
	if !validNPI(p.NPI) {
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

// normalizeNDC removes the hyphens of a formatted NDC-11.
func normalizeNDC(s string) string { return strings.ReplaceAll(s, "-", "") }

func containsString(list []string, s string) bool { return slices.Contains(list, s) }
