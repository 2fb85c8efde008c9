package domain

import "fmt"

// Family is a subscriber and dependents sharing a cardholder ID.
type Family struct {
	CardholderID string   `json:"cardholder_id"`
	GroupID      string   `json:"group_id"`
	Members      []Member `json:"members"`
}

// Member is one person on a family.
type Member struct {
	PersonCode  string     `json:"person_code"`
	DateOfBirth Date       `json:"date_of_birth"`
	Gender      string     `json:"gender,omitempty"` // M, F or U
	Coverages   []Coverage `json:"coverages"`
	// PriorAuths are the prior authorizations on file for the member.
	PriorAuths []PriorAuth `json:"prior_authorizations,omitempty"`
}

// PriorAuth is a prior authorization on file: a drug (by NDC or class
// prefix) approved for the member over a date range.
type PriorAuth struct {
	Number string `json:"number"`
	DrugRef
	Range
}

// Coverage enrols a member in a plan over a date range.
type Coverage struct {
	PlanID string `json:"plan_id"`
	Range
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
	if !IsAlnum(f.CardholderID, 1, 20) {
		return fmt.Errorf("family: cardholder_id %q must be 1 to 20 letters or digits", f.CardholderID)
	}
	if len(f.Members) == 0 {
		return fmt.Errorf("family %s: no members", f.CardholderID)
	}
	seen := map[string]bool{}
	for _, m := range f.Members {
		if !IsDigits(m.PersonCode, 3, 3) {
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
