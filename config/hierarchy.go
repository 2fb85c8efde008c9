package config

import (
	"fmt"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// planEditsFrom is the effective date of the edits made from a plan's
// shorthand financial fields: they apply to every date of service.
var planEditsFrom = domain.NewDate(1900, 1, 1)

// normalize turns each plan's shorthand financial fields into Active
// PLAN-level edits and clears them, so that edits are the one place the
// engine reads financial rules from.
func (c *Config) Normalize() error {
	have := map[string]bool{}
	for _, e := range c.Edits {
		have[e.ID] = true
	}
	for i := range c.Networks {
		c.Networks[i].Dated.normalize(&c.Networks[i].Audit)
	}
	for i := range c.Schedules {
		c.Schedules[i].Dated.normalize(&c.Schedules[i].Audit)
	}
	c.normalizeHierarchy()
	for i := range c.Plans {
		p := &c.Plans[i]
		p.Dated.normalize(&p.Audit)
		add := func(suffix string, kind edits.Kind, set func(*edits.Edit)) error {
			e := edits.Edit{ID: p.ID + "." + suffix, Version: 1, Status: edits.Active, Kind: kind,
				Name: p.Name + " " + suffix, Level: edits.Level{Kind: edits.PlanLevel, ID: p.ID},
				Range: domain.Range{From: planEditsFrom}, Audit: edits.Audit{CreatedBy: "configuration", ActivatedBy: "configuration"}}
			if have[e.ID] {
				return fmt.Errorf("plan %s sets %s and edit %s also exists; keep one", p.ID, suffix, e.ID)
			}
			set(&e)
			c.Edits = append(c.Edits, e)
			have[e.ID] = true
			return nil
		}
		if !p.Deductible.Individual.IsZero() || !p.Deductible.Family.IsZero() {
			l := p.Deductible
			if err := add("deductible", edits.KindDeductible, func(e *edits.Edit) { e.Limit = &l }); err != nil {
				return err
			}
		}
		if !p.OutOfPocket.Individual.IsZero() || !p.OutOfPocket.Family.IsZero() {
			l := p.OutOfPocket
			if err := add("out-of-pocket", edits.KindOutOfPocket, func(e *edits.Edit) { e.Limit = &l }); err != nil {
				return err
			}
		}
		if len(p.CostShare) > 0 {
			lines := p.CostShare
			if err := add("cost-share", edits.KindCostShare, func(e *edits.Edit) { e.CostShare = lines }); err != nil {
				return err
			}
		}
		p.Deductible, p.OutOfPocket, p.CostShare = edits.Limit{}, edits.Limit{}, nil
	}
	return nil
}

// Validate checks the settings a level sets and reports every problem (as
// domain.Problems).
func (s *LevelSettings) Validate() error {
	var ps domain.Problems
	if s.Retail90MinDays < 0 || s.Retail90MinDays > 365 {
		ps.Addf("", "retail90_min_days %d is outside 1 to 365", s.Retail90MinDays)
	}
	if s.FilingLimitDays != nil && (*s.FilingLimitDays < 0 || *s.FilingLimitDays > MaxFilingLimitDays) {
		ps.Addf("", "filing_limit_days %d is outside 0 (no limit) to %d", *s.FilingLimitDays, MaxFilingLimitDays)
	}
	switch s.ZeroUsualAndCustomary {
	case "", ZeroUCReject, ZeroUCIgnore:
	default:
		ps.Addf("", "zero_usual_and_customary %q must be %s or %s", s.ZeroUsualAndCustomary, ZeroUCReject, ZeroUCIgnore)
	}
	switch s.NoCostShare {
	case "", NoCostShareZero, NoCostShareReject:
	default:
		ps.Addf("", "no_cost_share %q must be %s or %s", s.NoCostShare, NoCostShareZero, NoCostShareReject)
	}
	for _, x := range []struct {
		name string
		v    *int
	}{{"rx_expiry_days", s.RxExpiryDays}, {"rx_expiry_days_controlled", s.RxExpiryDaysControlled}, {"rx_expiry_days_schedule_ii", s.RxExpiryDaysScheduleII}} {
		if x.v != nil && (*x.v < 0 || *x.v > MaxRxExpiryDays) {
			ps.Addf("", "%s %d is outside 0 (no expiry) to %d", x.name, *x.v, MaxRxExpiryDays)
		}
	}
	switch s.COB {
	case "", COBPrimary, COBSecondary:
	default:
		ps.Addf("", "cob %q must be %s or %s", s.COB, COBPrimary, COBSecondary)
	}
	switch s.PrescriberValidation {
	case "", On, Off:
	default:
		ps.Addf("", "prescriber_validation %q must be %s or %s", s.PrescriberValidation, On, Off)
	}
	for _, list := range [][]string{s.PenaltyDAW, s.MACExemptDAW} {
		for _, d := range list {
			if len(d) != 1 || d[0] < '0' || d[0] > '9' {
				ps.Addf("", "DAW code %q must be one digit", d)
			}
		}
	}
	return ps.Err()
}

// merge fills the settings s leaves unset from above.
func (s LevelSettings) Merge(above LevelSettings) LevelSettings {
	if s.PenaltyDAW == nil {
		s.PenaltyDAW = above.PenaltyDAW
	}
	if s.MACExemptDAW == nil {
		s.MACExemptDAW = above.MACExemptDAW
	}
	if s.Retail90MinDays == 0 {
		s.Retail90MinDays = above.Retail90MinDays
	}
	if s.FilingLimitDays == nil {
		s.FilingLimitDays = above.FilingLimitDays
	}
	if s.ZeroUsualAndCustomary == "" {
		s.ZeroUsualAndCustomary = above.ZeroUsualAndCustomary
	}
	if s.NoCostShare == "" {
		s.NoCostShare = above.NoCostShare
	}
	if s.RxExpiryDays == nil {
		s.RxExpiryDays = above.RxExpiryDays
	}
	if s.RxExpiryDaysControlled == nil {
		s.RxExpiryDaysControlled = above.RxExpiryDaysControlled
	}
	if s.RxExpiryDaysScheduleII == nil {
		s.RxExpiryDaysScheduleII = above.RxExpiryDaysScheduleII
	}
	if s.COB == "" {
		s.COB = above.COB
	}
	if s.PrescriberValidation == "" {
		s.PrescriberValidation = above.PrescriberValidation
	}
	return s
}

// ValidateHierarchy checks the PBM settings', the clients' and the groups'
// versions, and returns the clients and groups that have an Active
// version, by ID (the latest Active version of each; a group's client is
// the same in all its Active versions). A record with only Draft or
// Inactive versions is not part of the hierarchy: no claim routes or
// resolves through it. It reports every problem (as domain.Problems),
// each at its path in the bundle ("groups[1]").
func ValidateHierarchy(c *Config) (map[string]*Client, map[string]*Group, error) {
	var ps domain.Problems
	for i := range c.Settings {
		path := "settings"
		if len(c.Settings) > 1 {
			path = domain.Index("settings", i)
		}
		ps.Add(path, settingsProblems(&c.Settings[i]))
	}
	ps.Add("", checkVersions([]Settings(c.Settings), "settings"))
	clients := map[string]*Client{}
	for i := range c.Clients {
		cl, path := &c.Clients[i], domain.Index("clients", i)
		if !edits.ValidID(cl.ID) {
			ps.Addf(path, "client %q: id must be 1 to 64 letters, digits, '-', '_' or '.'", cl.ID)
		} else if clients[cl.ID] == nil {
			clients[cl.ID] = cl
		}
		ps.Add(path, clientProblems(cl))
	}
	ps.Add("", checkVersions(c.Clients, "clients"))
	active := map[string]*Group{} // the first Active version of each group
	for i := range c.Groups {
		g, path := &c.Groups[i], domain.Index("groups", i)
		first := active[g.ID]
		switch {
		case !edits.ValidID(g.ID):
			ps.Addf(path, "group %q: id must be 1 to 64 letters, digits, '-', '_' or '.'", g.ID)
		case clients[g.ClientID] == nil:
			ps.Addf(path, "group %s: client %q is not configured", g.ID, g.ClientID)
		case g.Status == edits.Active && first != nil && first.ClientID != g.ClientID:
			ps.Addf(path, "%s: client_id %q differs from %s's, %q; a group's client never changes (configure a new group)",
				g.Ref(), g.ClientID, first.Ref(), first.ClientID)
		}
		if first == nil && g.Status == edits.Active {
			active[g.ID] = g
		}
		ps.Add(path, groupProblems(g))
	}
	ps.Add("", checkVersions(c.Groups, "groups"))
	return LatestActive(c.Clients), LatestActive(c.Groups), ps.Err()
}

// settingsProblems, clientProblems and groupProblems are a version's own
// problems (its content, number, status and dates), at paths within it.
func settingsProblems(s *Settings) error {
	var ps domain.Problems
	ps.Wrap("", "settings", s.Validate())
	ps.Add("", datedProblems(&s.Dated))
	for j, r := range s.Routes {
		ps.Add(domain.Index("routes", j), r.Validate())
	}
	return ps.Err()
}

func clientProblems(cl *Client) error {
	var ps domain.Problems
	ps.Wrap("", "client "+cl.ID, cl.Validate())
	ps.Add("", datedProblems(&cl.Dated))
	for j, r := range cl.Routes {
		ps.Wrap(domain.Index("routes", j), "client "+cl.ID, r.Validate())
	}
	return ps.Err()
}

func groupProblems(g *Group) error {
	var ps domain.Problems
	ps.Wrap("", "group "+g.ID, g.Validate())
	ps.Add("", datedProblems(&g.Dated))
	return ps.Err()
}

// datedProblems are the problems of a version's number, status and dates.
func datedProblems(d *Dated) error {
	var ps domain.Problems
	d.validate(&ps)
	return ps.Err()
}
