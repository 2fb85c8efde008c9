package adjudicator

import (
	"fmt"

	"github.com/rxclaims/rxclaims/edits"
)

// planEditsFrom is the effective date of the edits made from a plan's
// shorthand financial fields: they apply to every date of service.
var planEditsFrom = edits.NewDate(1900, 1, 1)

// normalize turns each plan's shorthand financial fields into Active
// PLAN-level edits and clears them, so that edits are the one place the
// engine reads financial rules from.
func (c *Config) normalize() error {
	have := map[string]bool{}
	for _, e := range c.Edits {
		have[e.ID] = true
	}
	for i := range c.Plans {
		p := &c.Plans[i]
		add := func(suffix string, kind edits.Kind, set func(*edits.Edit)) error {
			e := edits.Edit{ID: p.ID + "." + suffix, Version: 1, Status: edits.Active, Kind: kind,
				Name: p.Name + " " + suffix, Level: edits.Level{Kind: edits.PlanLevel, ID: p.ID},
				Range: edits.Range{From: planEditsFrom}, Audit: edits.Audit{CreatedBy: "configuration", ActivatedBy: "configuration"}}
			if have[e.ID] {
				return fmt.Errorf("plan %s sets %s and edit %s also exists; keep one", p.ID, suffix, e.ID)
			}
			set(&e)
			c.Edits = append(c.Edits, e)
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

func (s *LevelSettings) validate() error {
	if s.Retail90MinDays < 0 || s.Retail90MinDays > 365 {
		return fmt.Errorf("retail90_min_days %d is outside 1 to 365", s.Retail90MinDays)
	}
	for _, list := range [][]string{s.PenaltyDAW, s.MACExemptDAW} {
		for _, d := range list {
			if len(d) != 1 || d[0] < '0' || d[0] > '9' {
				return fmt.Errorf("DAW code %q must be one digit", d)
			}
		}
	}
	return nil
}

// merge fills the settings s leaves unset from above.
func (s LevelSettings) merge(above LevelSettings) LevelSettings {
	if s.PenaltyDAW == nil {
		s.PenaltyDAW = above.PenaltyDAW
	}
	if s.MACExemptDAW == nil {
		s.MACExemptDAW = above.MACExemptDAW
	}
	if s.Retail90MinDays == 0 {
		s.Retail90MinDays = above.Retail90MinDays
	}
	return s
}

var defaultSettings = LevelSettings{PenaltyDAW: []string{"2"}, MACExemptDAW: []string{"1", "2"}, Retail90MinDays: 84}

// path is a claim's place in the hierarchy: its plan and group, the
// group's client, and the settings that apply there.
type path struct {
	levels   [4]edits.Level // plan, group, client, PBM
	settings LevelSettings
}

// pathFor resolves the hierarchy of a member of group on plan.
func (s *snapshot) pathFor(p *compiledPlan, groupID string) *path {
	key := [2]string{p.ID, groupID}
	if v, ok := s.paths.Load(key); ok {
		return v.(*path)
	}
	pt := &path{}
	pt.levels[0] = edits.Level{Kind: edits.PlanLevel, ID: p.ID}
	pt.levels[3] = edits.Level{Kind: edits.PBMLevel}
	set := p.LevelSettings
	if g := s.groups[groupID]; g != nil {
		pt.levels[1] = edits.Level{Kind: edits.GroupLevel, ID: g.ID}
		set = set.merge(g.LevelSettings)
		if c := s.clients[g.ClientID]; c != nil {
			pt.levels[2] = edits.Level{Kind: edits.ClientLevel, ID: c.ID}
			set = set.merge(c.LevelSettings)
		}
	}
	pt.settings = set.merge(s.settings.LevelSettings).merge(defaultSettings)
	v, _ := s.paths.LoadOrStore(key, pt)
	return v.(*path)
}

// checkEditRefs checks that each edit's level names a configured plan,
// group or client, and that the schedules it reads are configured.
func (s *snapshot) checkEditRefs(all []edits.Edit) error {
	for i := range all {
		e := &all[i]
		if e.Status == edits.Inactive {
			continue
		}
		if err := s.checkLevel(e.Level); err != nil {
			return &edits.ValidationError{Ref: e.Ref(), Problems: []edits.Problem{{Field: "level.id", Message: err.Error()}}}
		}
		if err := s.checkScheduleRefs(e); err != nil {
			return err
		}
	}
	return nil
}

func (s *snapshot) checkLevel(l edits.Level) error {
	known := true
	switch l.Kind {
	case edits.PlanLevel:
		known = s.plans[l.ID] != nil
	case edits.GroupLevel:
		known = s.groups[l.ID] != nil
	case edits.ClientLevel:
		known = s.clients[l.ID] != nil
	}
	if !known {
		return fmt.Errorf("%s %q is not configured", l.Kind, l.ID)
	}
	return nil
}

func validateHierarchy(c *Config) (map[string]*Client, map[string]*Group, error) {
	if err := c.Settings.validate(); err != nil {
		return nil, nil, fmt.Errorf("settings: %w", err)
	}
	clients := map[string]*Client{}
	for i := range c.Clients {
		cl := &c.Clients[i]
		if !edits.ValidID(cl.ID) {
			return nil, nil, fmt.Errorf("client %q: id must be 1 to 64 letters, digits, '-', '_' or '.'", cl.ID)
		}
		if clients[cl.ID] != nil {
			return nil, nil, fmt.Errorf("client %s appears twice", cl.ID)
		}
		if err := cl.validate(); err != nil {
			return nil, nil, fmt.Errorf("client %s: %w", cl.ID, err)
		}
		clients[cl.ID] = cl
	}
	groups := map[string]*Group{}
	for i := range c.Groups {
		g := &c.Groups[i]
		switch {
		case !edits.ValidID(g.ID):
			return nil, nil, fmt.Errorf("group %q: id must be 1 to 64 letters, digits, '-', '_' or '.'", g.ID)
		case groups[g.ID] != nil:
			return nil, nil, fmt.Errorf("group %s appears twice", g.ID)
		case clients[g.ClientID] == nil:
			return nil, nil, fmt.Errorf("group %s: client %q is not configured", g.ID, g.ClientID)
		}
		if err := g.validate(); err != nil {
			return nil, nil, fmt.Errorf("group %s: %w", g.ID, err)
		}
		groups[g.ID] = g
	}
	return clients, groups, nil
}
