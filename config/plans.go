package config

import (
	"fmt"
	"slices"
	"time"

	"github.com/rxclaims/rxclaims/domain"
	"github.com/rxclaims/rxclaims/edits"
)

// Plan versions follow the edit lifecycle (DOMAIN.md §3): the methods below
// apply its transitions (edits.DraftAudit, edits.ActivateAudit, ...) to the
// versions of a plan in c.Plans, and fail with the edits package's errors
// (edits.ErrNotFound, edits.ErrConflict, edits.ErrMakerChecker,
// edits.ErrInvalid), changing nothing. c must be normalized (Normalize).

// Ref names one version of a plan.
func (p *Plan) Ref() string { return fmt.Sprintf("plan %s v%d", p.ID, p.Version) }

// Range is when the version is in force, before a later version takes over;
// an unset effective date is open towards the past.
func (p *Plan) Range() domain.Range { return domain.Range{From: p.Effective, To: p.Termination} }

// PlanVersions returns the versions of plan id, by version.
func (c *Config) PlanVersions(id string) []Plan {
	var out []Plan
	for _, p := range c.Plans {
		if p.ID == id {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Plan) int { return a.Version - b.Version })
	return out
}

func (c *Config) planAt(id string, version int) (int, error) {
	i := slices.IndexFunc(c.Plans, func(p Plan) bool { return p.ID == id && p.Version == version })
	if i < 0 {
		return -1, fmt.Errorf("%w: plan %s v%d", edits.ErrNotFound, id, version)
	}
	return i, nil
}

// CreatePlanDraft adds p as a Draft: version 1 of a new plan or the next
// version of an existing one. A plan has at most one Draft at a time. The
// plan shorthand for financial edits is refused: those are edits.
func (c *Config) CreatePlanDraft(p Plan, user string, now time.Time) (Plan, error) {
	if err := checkDraftContent(&p); err != nil {
		return Plan{}, err
	}
	vs := c.PlanVersions(p.ID)
	draft := 0
	if i := slices.IndexFunc(vs, func(x Plan) bool { return x.Status == edits.Draft }); i >= 0 {
		draft = vs[i].Version
	}
	audit, err := edits.DraftAudit("plan "+p.ID, draft, user, now)
	if err != nil {
		return Plan{}, err
	}
	p.Version = 1
	if n := len(vs); n > 0 {
		p.Version = vs[n-1].Version + 1
	}
	p.Status, p.Audit = edits.Draft, audit
	c.Plans = append(c.Plans, p)
	return p, nil
}

// UpdatePlanDraft replaces the content of a Draft version (p.ID and
// p.Version name it); its creator stays.
func (c *Config) UpdatePlanDraft(p Plan, user string, now time.Time) (Plan, error) {
	if err := checkDraftContent(&p); err != nil {
		return Plan{}, err
	}
	i, err := c.planAt(p.ID, p.Version)
	if err != nil {
		return Plan{}, err
	}
	old := &c.Plans[i]
	audit, err := edits.UpdateAudit(old.Ref(), old.Status, old.Audit, user, now)
	if err != nil {
		return Plan{}, err
	}
	p.Status, p.Audit = edits.Draft, audit
	c.Plans[i] = p
	return p, nil
}

// ActivatePlan makes a Draft version Active, maker-checker applying unless
// the PBM settings allow self-activation. A version that would hide an
// Active version of the plan entirely (its effective date not after that
// version's, or that version's not after its own while numbered later) is
// refused: Active versions hand over by date, and each keeps some dates.
func (c *Config) ActivatePlan(id string, version int, user string, now time.Time) (Plan, error) {
	i, err := c.planAt(id, version)
	if err != nil {
		return Plan{}, err
	}
	p := c.Plans[i]
	audit, err := edits.ActivateAudit(p.Ref(), "plan version", p.Status, p.Audit, user, now, c.Settings.AllowSelfActivation)
	if err != nil {
		return Plan{}, err
	}
	for _, o := range c.PlanVersions(id) {
		if o.Status == edits.Active && overlaps(&o, &p) {
			return Plan{}, fmt.Errorf("%w: %s (effective %s) overlaps active %s (effective %s): a later version must take effect after every earlier one; inactivate %s first or date the draft later",
				edits.ErrConflict, p.Ref(), openStart(p.Effective), o.Ref(), openStart(o.Effective), o.Ref())
		}
	}
	p.Status, p.Audit = edits.Active, audit
	c.Plans[i] = p
	return p, nil
}

// InactivatePlan retires a Draft or Active version for good. Claims
// already adjudicated under it keep their answers (they record the
// configuration version they ran under); later claims of its dates find no
// version in force, unless an earlier one is still in force then.
func (c *Config) InactivatePlan(id string, version int, user string, now time.Time) (Plan, error) {
	i, err := c.planAt(id, version)
	if err != nil {
		return Plan{}, err
	}
	p := c.Plans[i]
	audit, err := edits.InactivateAudit(p.Ref(), p.Status, p.Audit, user, now)
	if err != nil {
		return Plan{}, err
	}
	p.Status, p.Audit = edits.Inactive, audit
	c.Plans[i] = p
	return p, nil
}

// CheckPlanVersions reports each pair of Active versions of one plan that
// overlap (ActivatePlan refuses them; a bundle may not bring them either)
// and each version that appears twice.
func (c *Config) CheckPlanVersions() error {
	var ps domain.Problems
	seen := map[string]bool{}
	for i := range c.Plans {
		p, path := &c.Plans[i], domain.Index("plans", i)
		if seen[p.Ref()] {
			ps.Addf(path, "%s appears twice", p.Ref())
			continue
		}
		seen[p.Ref()] = true
		for j := range c.Plans[:i] {
			o := &c.Plans[j]
			if o.ID == p.ID && o.Status == edits.Active && p.Status == edits.Active && overlaps(o, p) {
				ps.Addf(path, "%s overlaps active %s: a later version must take effect after every earlier one", p.Ref(), o.Ref())
			}
		}
	}
	return ps.Err()
}

// overlaps reports whether two versions of a plan cannot hand over by
// date: the later-numbered one must take effect after the earlier one.
func overlaps(a, b *Plan) bool {
	if a.Version > b.Version {
		a, b = b, a
	}
	return a.Version != b.Version && !b.Effective.After(a.Effective)
}

// checkDraftContent refuses what a plan version may not carry: the
// shorthand for financial edits (deductible, out_of_pocket, cost_share).
func checkDraftContent(p *Plan) error {
	if p.ID == "" {
		return invalidPlan("plan without id")
	}
	if !p.Deductible.Individual.IsZero() || !p.Deductible.Family.IsZero() || !p.OutOfPocket.Individual.IsZero() ||
		!p.OutOfPocket.Family.IsZero() || len(p.CostShare) > 0 {
		return invalidPlan(fmt.Sprintf("plan %s: deductible, out_of_pocket and cost_share are edits of the plan; change them through the edit lifecycle", p.ID))
	}
	return nil
}

// invalidPlan is an edits.ErrInvalid that names a plan, not an edit.
type invalidPlan string

func (e invalidPlan) Error() string { return string(e) }
func (e invalidPlan) Unwrap() error { return edits.ErrInvalid }

func openStart(d domain.Date) string {
	if d.IsZero() {
		return "always"
	}
	return d.String()
}
