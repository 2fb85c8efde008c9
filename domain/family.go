package domain

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
	// PriorAuths are prior authorizations carried inside the family record
	// (bundles, demo data). They are legacy: an import moves them into
	// prior authorization records of their own, which enrollment syncs
	// never touch, and the engine reads both (DOMAIN.md, Prior
	// authorizations).
	PriorAuths []PriorAuth `json:"prior_authorizations,omitempty"`
}

// Coverage enrols a member in a plan over a date range.
type Coverage struct {
	PlanID string `json:"plan_id"`
	Range  `yaml:",inline"`
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

// Validate checks a family record on its own and reports every problem
// (as Problems), each at its path within the family.
func (f *Family) Validate() error {
	var ps Problems
	if !IsAlnum(f.CardholderID, 1, 20) {
		ps.Addf("cardholder_id", "must be 1 to 20 letters or digits")
	}
	if len(f.Members) == 0 {
		ps.Addf("members", "a family needs at least one member")
	}
	seen := map[string]bool{}
	for i := range f.Members {
		m := &f.Members[i]
		path := Index("members", i)
		if !IsDigits(m.PersonCode, 3, 3) {
			ps.Addf(path, "person_code %q must be 3 digits", m.PersonCode)
		} else if seen[m.PersonCode] {
			ps.Addf(path, "person_code %s appears twice", m.PersonCode)
		}
		seen[m.PersonCode] = true
		ps.Add(path, m.validate())
	}
	return ps.Err()
}

// validate checks a member's own fields, prior authorizations and coverages.
func (m *Member) validate() error {
	var ps Problems
	who := "member " + m.PersonCode
	if m.DateOfBirth.IsZero() {
		ps.Addf("", "%s: date_of_birth is required", who)
	}
	for i := range m.PriorAuths {
		ps.Wrap(Index("prior_authorizations", i), who, m.PriorAuths[i].validateTerms())
	}
	for i, c := range m.Coverages {
		path := Index("coverages", i)
		if c.PlanID == "" {
			ps.Addf(path, "%s: coverage without plan_id", who)
			continue
		}
		ps.Wrap(path, who+" coverage "+c.PlanID, c.Range.Validate())
	}
	return ps.Err()
}
